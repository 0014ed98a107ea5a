import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { it } from "node:test";
import { ConfigError, configSchema, loadConfig } from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "loadmgr-config-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

it("has embedded defaults", () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.server.host, "127.0.0.1");
  assert.equal(config.server.port, 8080);
  assert.equal(config.storage.dataDir, "./data");
  assert.equal(config.mongodb.uri, undefined);
  assert.deepEqual(config.locustClusters, []);
});

it("reads YAML and lets the environment override it", () => {
  const path = file("ok.yaml", "server:\n  port: 9000\nmongodb:\n  uri: mongodb://a\n  database: x\n");
  const config = loadConfig({ file: path, env: { PORT: "9100", MONGODB_DATABASE: "y", REDIS_URL: "redis://r" } });
  assert.equal(config.server.port, 9100);
  assert.equal(config.mongodb.uri, "mongodb://a");
  assert.equal(config.mongodb.database, "y");
  assert.equal(config.redis.url, "redis://r");
});

it("keeps webhooks off private addresses unless the file or LOADMGR_WEBHOOKS_ALLOW_PRIVATE says otherwise", () => {
  assert.equal(loadConfig({ env: {} }).webhooks.allowPrivateTargets, false);
  assert.equal(loadConfig({ env: { LOADMGR_WEBHOOKS_ALLOW_PRIVATE: "true" } }).webhooks.allowPrivateTargets, true);
  const path = file("hooks.yaml", "webhooks:\n  allowPrivateTargets: true\n");
  assert.equal(loadConfig({ file: path, env: {} }).webhooks.allowPrivateTargets, true);
  assert.equal(
    loadConfig({ file: path, env: { LOADMGR_WEBHOOKS_ALLOW_PRIVATE: "false" } }).webhooks.allowPrivateTargets,
    false,
  );
  assert.throws(() => loadConfig({ env: { LOADMGR_WEBHOOKS_ALLOW_PRIVATE: "yes" } }), /webhooks\.allowPrivateTargets/);
  assert.equal(loadConfig({ env: {} }).schedules.minIntervalSec, 60);
});

it("names the offending key", () => {
  const cases: [string, RegExp][] = [
    ["server:\n  port: -1\n", /server\.port/],
    ["security:\n  apiToken: short\n", /security\.apiToken/],
    [
      "security:\n  tokens:\n    - { name: x, token: 0123456789abcdefg, role: owner, accountId: a }\n",
      /security\.tokens\.0\.role/,
    ],
    [
      "locustClusters:\n  - { id: c, baseUrl: 'http://h', authToken: t, accountId: a, orgId: o }\n",
      /locustClusters: push-mode Locust clusters are retired: create an agent pool/,
    ],
    ["servr:\n  port: 1\n", /servr|root|Unrecognized/i],
    ["- a list\n", /expected a mapping/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => loadConfig({ file: file("bad.yaml", text), env: {} }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, pattern);
        return true;
      },
    );
  }
  assert.throws(() => loadConfig({ file: join(dir, "missing.yaml"), env: {} }), /does not exist/);
});

/** Every key the schema takes, as dotted paths (arrays and records are one key). */
function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    const def = inner._zod.def as { innerType?: z.ZodType };
    if (def.innerType === undefined) break;
    inner = def.innerType;
  }
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
    keyPaths(child, prefix === "" ? key : `${prefix}.${key}`),
  );
}

it("config/config.example.yaml names every key the server takes", () => {
  const example = readFileSync(new URL("../../config/config.example.yaml", import.meta.url), "utf-8");
  const missing = keyPaths(configSchema).filter((path) => {
    const key = path.split(".").at(-1) ?? path;
    return !new RegExp(`(^|\\s|#\\s*)${key}:`, "m").test(example);
  });
  assert.deepEqual(missing, []);
  // And the file, as it is, loads.
  assert.doesNotThrow(() =>
    loadConfig({ file: fileURLToPath(new URL("../../config/config.example.yaml", import.meta.url)), env: {} }),
  );
});
