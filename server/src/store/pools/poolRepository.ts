import type { Agent, AgentPool, AgentRunReport } from "@loadmgr/shared";
import type { ScopeFilter } from "../paging.js";

/** A pool as stored: the hash of its enrollment token's secret (null: revoked), not its agents. */
export type AgentPoolRecord = Omit<AgentPool, "agents" | "tokenState"> & {
  tokenHash: string | null;
  /** The token before the last rotation: its agents may finish the runs they hold, and take nothing new. */
  retiredTokenHash: string | null;
};

/** An agent as stored: what it last reported; whether it is connected is judged by who reads it. */
export type AgentRecord = Omit<Agent, "connected" | "running"> & {
  instanceId: string;
  runs: AgentRunReport[];
  /** How long the server may hold its last call (the call's waitMs; 0 once its connection went). Absent in older records. */
  waitMs?: number;
};

/** Agent pools and their agents. */
export interface PoolRepository {
  create(pool: AgentPoolRecord): Promise<void>;
  get(id: string): Promise<AgentPoolRecord | undefined>;
  /** Oldest first; at most 1,000. */
  list(filter: ScopeFilter): Promise<AgentPoolRecord[]>;
  /** A new token (null: revoked); `retiredTokenHash` is the one its agents may finish their runs with. */
  setToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash?: string | null,
  ): Promise<AgentPoolRecord | undefined>;
  /** Removes a pool and its agents' records; false when there was no such pool. */
  delete(id: string): Promise<boolean>;
  /** Inserts or replaces the agent (by id; a pool's agent names are unique). */
  saveAgent(agent: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  /** The pool's agent of that name (names are unique in a pool): what each heartbeat looks up. */
  findAgent(poolId: string, name: string): Promise<AgentRecord | undefined>;
  /** The pools' agents, by pool then name. */
  listAgents(poolIds: string[]): Promise<AgentRecord[]>;
  /** Removes an agent's record; false when there was none. */
  deleteAgent(id: string): Promise<boolean>;
}
