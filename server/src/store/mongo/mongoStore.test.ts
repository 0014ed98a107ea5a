import { randomUUID } from "node:crypto";
import { startMongoWireServer } from "../../../../test/helpers/ferretdb.js";
import { storeContract } from "../store.contract.js";
import { MongoStore } from "./mongoStore.js";

storeContract(
  process.env.MONGODB_URI ? "MongoDB (MONGODB_URI)" : "MongoDB wire protocol (FerretDB 1.24, SQLite)",
  async () => {
    const server = await startMongoWireServer();
    const store = new MongoStore(server.uri, `loadmgr_test_${randomUUID().slice(0, 8)}`);
    return {
      store,
      close: async () => {
        await store.close();
        await server.stop();
      },
    };
  },
);
