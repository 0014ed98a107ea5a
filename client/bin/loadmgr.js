#!/usr/bin/env node
// `loadmgr`: the built CLI where the package is installed; in a checkout of the repository, its
// TypeScript sources through tsx (as the rest of the repository runs).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/bin.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli/bin.js");
}
