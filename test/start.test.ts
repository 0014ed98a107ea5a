import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startServerProcess as startServer, stopServerProcess as stop } from "./helpers/serverProcess.js";

describe("the server process", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "loadmgr-start-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("generates an admin token on first start, keeps it in the data directory, prints it, and reuses it", async () => {
    const first = await startServer({ LOADMGR_DATA_DIR: dataDir });
    const tokenFile = join(dataDir, "admin-token");
    const token = readFileSync(tokenFile, "utf-8").trim();
    assert.ok(token.length >= 16);
    assert.equal(statSync(tokenFile).mode & 0o077, 0, "the token file is readable by its owner only");
    for (const file of ["loadmgr.sqlite", "run-token-secret"]) {
      assert.equal(statSync(join(dataDir, file)).mode & 0o077, 0, `${file} is readable by its owner only`);
    }
    assert.ok(first.output().includes(token), "the token is printed");
    const res = await fetch(`${first.url}/v1/load-tests`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(await stop(first.child), 0, "SIGTERM shuts down cleanly");

    const second = await startServer({ LOADMGR_DATA_DIR: dataDir });
    assert.equal(readFileSync(tokenFile, "utf-8").trim(), token);
    const again = await fetch(`${second.url}/v1/load-tests`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 200);
    await stop(second.child);
  });

  it("uses LOADMGR_API_TOKEN when set and keeps data across restarts", async () => {
    const apiToken = "configured-admin-token-123456";
    const headers = { authorization: `Bearer ${apiToken}`, "content-type": "application/json" };
    const first = await startServer({ LOADMGR_DATA_DIR: dataDir, LOADMGR_API_TOKEN: apiToken });
    const created = await fetch(`${first.url}/v1/load-tests`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        name: "persisted",
        accountId: "a",
        orgId: "o",
        projectId: "p",
        targetUrl: "http://127.0.0.1:9",
        scriptContent: Buffer.from("print(1)\n").toString("base64"),
      }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    await stop(first.child);
    const second = await startServer({ LOADMGR_DATA_DIR: dataDir, LOADMGR_API_TOKEN: apiToken });
    assert.equal((await fetch(`${second.url}/v1/load-tests/${id}`, { headers })).status, 200);
    await stop(second.child);
  });

  it("refuses to start on a bad config, naming the key", async () => {
    await assert.rejects(
      startServer({ LOADMGR_DATA_DIR: dataDir, PORT: "not-a-port" }),
      (error: Error & { code?: number }) => {
        assert.equal(error.code, 2);
        assert.match(error.message, /server\.port/);
        return true;
      },
    );
    const file = join(dataDir, "bad.yaml");
    writeFileSync(file, "runner:\n  limits:\n    cpu: -1\n");
    await assert.rejects(startServer({ LOADMGR_DATA_DIR: dataDir }, ["--config", file]), /runner\.limits\.cpu/);
    // A configuration from before agent pools says what replaced its push-mode clusters.
    writeFileSync(file, "locustClusters:\n  - id: c1\n    baseUrl: http://x:1\n");
    await assert.rejects(
      startServer({ LOADMGR_DATA_DIR: dataDir }, ["--config", file]),
      /locustClusters: push-mode Locust clusters are retired: create an agent pool/,
    );
  });
});
