import { MongoClient, type Db } from "mongodb";
import { MongoPools } from "../pools/mongoPools.js";
import { MongoRuns } from "../runs/mongoRuns.js";
import { MongoSchedules } from "../schedules/mongoSchedules.js";
import { MongoSecrets } from "../secrets/mongoSecrets.js";
import type { Store } from "../store.js";
import { MongoTests } from "../tests/mongoTests.js";
import { MongoWebhooks } from "../webhooks/mongoWebhooks.js";
import { MongoLocks } from "./mongoDocs.js";

/**
 * The production store on the official MongoDB driver: one database, a collection or two per
 * repository, and the lease locks (mongoDocs.ts) that stand in for transactions. Revision numbers
 * are also guarded by a unique index.
 */
export class MongoStore implements Store {
  readonly kind = "mongodb";
  private readonly client: MongoClient;
  private readonly db: Db;
  readonly tests: MongoTests;
  readonly runs: MongoRuns;
  readonly pools: MongoPools;
  readonly secrets: MongoSecrets;
  readonly webhooks: MongoWebhooks;
  readonly schedules: MongoSchedules;

  constructor(uri: string, database: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    const db = (this.db = this.client.db(database));
    const locks = new MongoLocks(db);
    this.tests = new MongoTests(db, locks);
    this.runs = new MongoRuns(db, locks);
    this.pools = new MongoPools(db);
    this.secrets = new MongoSecrets(db);
    this.webhooks = new MongoWebhooks(db);
    this.schedules = new MongoSchedules(db, locks);
  }

  async init(): Promise<void> {
    await this.client.connect();
    // Runs first: bringing older tests up to date lists their runs as they are now.
    await this.runs.init();
    await this.tests.init();
    await this.pools.init();
    await this.webhooks.init();
    await this.schedules.init();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }
}
