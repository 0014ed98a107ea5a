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
it("docker-compose.yml wires the server to MongoDB, Redis (persistent) and its agent, with a config that loads", () => {
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf-8")) as {
    services: Record<string, Service>;
  };
  const { loadmgr, redis, mongodb } = compose.services;
  const agent = compose.services["locust-host"];
  assert.ok(loadmgr !== undefined && redis !== undefined && mongodb !== undefined && agent !== undefined);
  assert.match(redis.command ?? "", /--appendonly yes/, "Redis keeps its jobs across a restart");
  assert.match(loadmgr.command ?? "", /config\/compose\.yaml/);
  assert.equal(loadmgr.environment?.HOST, "0.0.0.0", "reachable from the agent's container");
  const agentPort = /--port (\d+)/.exec(agent.command ?? "")?.[1];
  assert.ok(agentPort !== undefined);

  // What the server's command does: the agent token filled in, then the server's own config loader.
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-compose-"));
  try {
    const file = join(dir, "loadmgr.yaml");
    const token = "compose-agent-token-0123456789";
    writeFileSync(file, readFileSync(join(ROOT, "config/compose.yaml"), "utf-8").replace("__AGENT_TOKEN__", token));
    const config = loadConfig({
      file,
      env: { MONGODB_URI: loadmgr.environment?.MONGODB_URI, REDIS_URL: loadmgr.environment?.REDIS_URL },
    });
    assert.equal(config.mongodb.uri, "mongodb://mongodb:27017");
    assert.equal(config.redis.url, "redis://redis:6379");
    assert.equal(new URL(config.server.publicUrl ?? "").hostname, "loadmgr", "Locust pushes to the server's service");
    const [cluster] = config.locustClusters;
    assert.ok(cluster !== undefined);
    assert.equal(cluster.authToken, token);
    assert.equal(new URL(cluster.baseUrl).hostname, "locust-host");
    assert.equal(new URL(cluster.baseUrl).port, agentPort);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
