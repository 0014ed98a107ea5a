import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { parse } from "yaml";
import { loadConfig } from "../server/src/config.js";

const ROOT = join(import.meta.dirname, "..");

interface Service {
  command?: string;
  environment?: Record<string, string>;
}

// No Docker engine here: what can be checked without one is that the pieces fit together.
it("docker-compose.yml wires the server to MongoDB, Redis (persistent) and an agent that dials it, with a config that loads", () => {
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf-8")) as {
    services: Record<string, Service>;
  };
  const { loadmgr, redis, mongodb } = compose.services;
  const agent = compose.services["locust-host"];
  assert.ok(loadmgr !== undefined && redis !== undefined && mongodb !== undefined && agent !== undefined);
  assert.match(redis.command ?? "", /--appendonly yes/, "Redis keeps its jobs across a restart");
  assert.match(loadmgr.command ?? "", /config\/compose\.yaml/);
  assert.equal(loadmgr.environment?.HOST, "0.0.0.0", "reachable from the agent's container");
  const dials = /loadmgr-locust agent --server (\S+)/.exec(agent.command ?? "")?.[1];
  assert.ok(dials !== undefined, "the agent dials out");
  assert.doesNotMatch(agent.command ?? "", /--port/, "and listens on nothing");
  assert.ok(agent.environment?.LOADMGR_AGENT_TOKEN !== undefined, "its pool token comes from the environment");

  const dir = mkdtempSync(join(tmpdir(), "loadmgr-compose-"));
  try {
    const config = loadConfig({
      file: join(ROOT, "config/compose.yaml"),
      env: { MONGODB_URI: loadmgr.environment?.MONGODB_URI, REDIS_URL: loadmgr.environment?.REDIS_URL },
    });
    assert.equal(config.mongodb.uri, "mongodb://mongodb:27017");
    assert.equal(config.redis.url, "redis://redis:6379");
    assert.equal(new URL(config.server.publicUrl ?? "").hostname, "loadmgr", "agents reach the server's service");
    assert.equal(new URL(dials).host, new URL(config.server.publicUrl ?? "").host, "the agent dials that very URL");
    assert.equal(config.locustClusters.length, 0);
    writeFileSync(join(dir, "old.yaml"), "locustClusters:\n  - id: old\n    baseUrl: http://x:1\n");
    assert.throws(
      () => loadConfig({ file: join(dir, "old.yaml"), env: {} }),
      /locustClusters: push-mode Locust clusters are retired: create an agent pool/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
