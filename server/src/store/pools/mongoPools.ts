import type { Collection, Db } from "mongodb";
import { ensureIndexes } from "../../db/mongoShared.js";
import { defined } from "../../db/mongoShared.js";
import { HIDDEN, withoutId } from "../mongo/mongoDocs.js";
import type { ScopeFilter } from "../paging.js";
import { type AgentPoolRecord, type AgentRecord, type PoolRepository } from "./poolRepository.js";
import { poolsCollection, agentsCollection, type PoolDoc, type AgentDoc } from "./mongoCollections.js";

export class MongoPools implements PoolRepository {
  private readonly pools: Collection<PoolDoc>;
  private readonly agents: Collection<AgentDoc>;

  constructor(db: Db) {
    this.pools = poolsCollection(db);
    this.agents = agentsCollection(db);
  }

  async init(): Promise<void> {
    await ensureIndexes(this.agents, [{ key: { poolId: 1, name: 1 }, name: "pool_name_idx", unique: true }]);
  }

  async create(pool: AgentPoolRecord): Promise<void> {
    await this.pools.insertOne({ _id: pool.id, ...pool });
  }

  async get(id: string): Promise<AgentPoolRecord | undefined> {
    return (await this.pools.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async list(filter: ScopeFilter): Promise<AgentPoolRecord[]> {
    return this.pools
      .find(defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId }), HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async setToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash: string | null = null,
  ): Promise<AgentPoolRecord | undefined> {
    const pool = await this.pools.findOneAndUpdate(
      { _id: id },
      { $set: { tokenHash, retiredTokenHash, tokenRotatedAt: at } },
      { returnDocument: "after" },
    );
    return withoutId(pool);
  }

  async delete(id: string): Promise<boolean> {
    await this.agents.deleteMany({ poolId: id });
    return (await this.pools.deleteOne({ _id: id })).deletedCount > 0;
  }

  async saveAgent(agent: AgentRecord): Promise<void> {
    await this.agents.replaceOne({ _id: agent.id }, agent, { upsert: true });
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    return (await this.agents.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async findAgent(poolId: string, name: string): Promise<AgentRecord | undefined> {
    return (await this.agents.findOne({ poolId, name }, HIDDEN)) ?? undefined;
  }

  async listAgents(poolIds: string[]): Promise<AgentRecord[]> {
    if (poolIds.length === 0) return [];
    return this.agents
      .find({ poolId: { $in: poolIds } }, HIDDEN)
      .sort({ poolId: 1, name: 1 })
      .toArray();
  }

  async deleteAgent(id: string): Promise<boolean> {
    return (await this.agents.deleteOne({ _id: id })).deletedCount > 0;
  }
}
