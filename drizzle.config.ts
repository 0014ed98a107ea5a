import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./server/src/store/*/sqliteTables.ts", "./server/src/metrics/sqlite/tables.ts"],
  out: "./server/drizzle",
});
