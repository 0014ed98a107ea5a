import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./server/src/store/sqlite/schema.ts",
  out: "./server/drizzle",
});
