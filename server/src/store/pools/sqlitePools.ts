import { and, eq, inArray } from "drizzle-orm";
import type { ScopeFilter } from "../paging.js";
import { type SqliteDb } from "../sqlite/sqliteDb.js";
import { agentPools, agents } from "./sqliteTables.js";
import { type AgentPoolRecord, type AgentRecord, type PoolRepository } from "./poolRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqlitePools implements PoolRepository {
  constructor(private readonly db: SqliteDb) {}

  async create(pool: AgentPoolRecord): Promise<void> {
    this.db.insert(agentPools).values(pool).run();
  }

  async get(id: string): Promise<AgentPoolRecord | undefined> {
    return this.db.select().from(agentPools).where(eq(agentPools.id, id)).get();
  }

  async list(filter: ScopeFilter): Promise<AgentPoolRecord[]> {
    return this.db
      .select()
      .from(agentPools)
      .where(
        and(
          filter.accountId !== undefined ? eq(agentPools.accountId, filter.accountId) : undefined,
          filter.orgId !== undefined ? eq(agentPools.orgId, filter.orgId) : undefined,
          filter.projectId !== undefined ? eq(agentPools.projectId, filter.projectId) : undefined,
        ),
      )
      .orderBy(agentPools.createdAt, agentPools.id)
      .limit(1000)
      .all();
  }

  async setToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash: string | null = null,
  ): Promise<AgentPoolRecord | undefined> {
    return this.db
      .update(agentPools)
      .set({ tokenHash, retiredTokenHash, tokenRotatedAt: at })
      .where(eq(agentPools.id, id))
      .returning()
      .get();
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction((tx) => {
      tx.delete(agents).where(eq(agents.poolId, id)).run();
      return tx.delete(agentPools).where(eq(agentPools.id, id)).run().changes > 0;
    });
  }

  async saveAgent(agent: AgentRecord): Promise<void> {
    const { id, ...rest } = agent;
    this.db.insert(agents).values(agent).onConflictDoUpdate({ target: agents.id, set: rest }).run();
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    return this.db.select().from(agents).where(eq(agents.id, id)).get();
  }

  async findAgent(poolId: string, name: string): Promise<AgentRecord | undefined> {
    return this.db
      .select()
      .from(agents)
      .where(and(eq(agents.poolId, poolId), eq(agents.name, name)))
      .get();
  }

  async listAgents(poolIds: string[]): Promise<AgentRecord[]> {
    if (poolIds.length === 0) return [];
    return this.db
      .select()
      .from(agents)
      .where(inArray(agents.poolId, poolIds))
      .orderBy(agents.poolId, agents.name)
      .all();
  }

  async deleteAgent(id: string): Promise<boolean> {
    return this.db.delete(agents).where(eq(agents.id, id)).run().changes > 0;
  }
}
