import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../logger.js";
import { LocalRunner, processStartTime } from "./localRunner.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("LocalRunner signals only the process it recorded", () => {
  let runsDir: string;
  let decoy: ChildProcess;
  let runner: LocalRunner;

  before(() => {
    runsDir = mkdtempSync(join(tmpdir(), "loadmgr-local-"));
    // An unrelated process group, as a reused pid would be.
    decoy = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    runner = new LocalRunner({ runsDir, command: "/bin/true" }, createLogger("silent"));
  });
  after(() => {
    if (decoy.pid !== undefined && alive(decoy.pid)) process.kill(-decoy.pid, "SIGKILL");
    rmSync(runsDir, { recursive: true, force: true });
  });

  const record = (runId: string, startTime: string | null): void => {
    mkdirSync(join(runsDir, runId), { recursive: true });
    writeFileSync(join(runsDir, runId, "supervisor.json"), JSON.stringify({ pid: decoy.pid, startTime }));
  };

  it("leaves a live process alone when its start time is not the recorded one", async () => {
    const pid = decoy.pid as number;
    record("reused-pid", "1");
    assert.equal((await runner.inspect("reused-pid")).state, "exited");
    await runner.kill("reused-pid");
    await runner.stop("reused-pid");
    await sleep(100);
    assert.ok(alive(pid), "the decoy was signalled");
  });

  it("kills the recorded process group when it is still that process", async () => {
    const pid = decoy.pid as number;
    record("same-process", processStartTime(pid));
    assert.equal((await runner.inspect("same-process")).state, "running");
    await runner.kill("same-process");
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
    assert.ok(!alive(pid) || processStartTime(pid) === null);
  });
});
