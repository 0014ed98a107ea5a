#!/usr/bin/env node
// `loadmgr`: runs the TypeScript CLI through tsx (as the rest of the repository runs).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/bin.ts");
