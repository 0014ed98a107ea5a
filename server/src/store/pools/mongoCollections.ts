import type { Collection, Db } from "mongodb";
import type { AgentPoolRecord, AgentRecord } from "./poolRepository.js";

/** Documents keep the entity's `id` as `_id` too. */
export type PoolDoc = AgentPoolRecord & { _id: string };
export type AgentDoc = AgentRecord & { _id: string };

export const poolsCollection = (db: Db): Collection<PoolDoc> => db.collection("agent_pools");

export const agentsCollection = (db: Db): Collection<AgentDoc> => db.collection("agents");
