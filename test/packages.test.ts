import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  AGENT_VENV,
  agentInstallCommands,
  encodeScript,
  type AgentPackage,
  type AgentPool,
  type LoadTest,
} from "@loadmgr/shared";
import { startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, processesMentioning, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
/** Bounded: an install that hangs on the registry fails the test instead of holding CI. */
const INSTALL_TIMEOUT_MS = 240_000;

async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/** A program a TypeScript app outside this repository would write against the published client. */
const PROGRAM = `import { createLoadManagerClient, type LoadTest, type LoadTestRun } from "@loadmgr/client";

const client = createLoadManagerClient({ url: process.env.LM_URL ?? "", token: process.env.LM_TOKEN ?? "" });
const script = Buffer.from("from locust import HttpUser, task\\n\\nclass U(HttpUser):\\n    @task\\n    def t(self):\\n        self.client.get('/')\\n").toString("base64");
const test: LoadTest = await client.loadTests.create.mutate({
  name: "from a package",
  accountId: "acme",
  orgId: "web",
  projectId: "shop",
  targetUrl: "http://127.0.0.1:9",
  scriptContent: script,
});
const listed = await client.loadTests.list.query({ accountId: "acme" });
const run: LoadTestRun = await client.runs.create.mutate({ id: test.id, durationSec: 5 });
const stopped = await client.runs.stop.mutate({ id: run.id });
const revision: number = test.latestRevisionNumber;
console.log(JSON.stringify({ id: test.id, listed: listed.items.map((t) => t.id), revision, stopped: stopped.status }));
`;

/** The same, wrong: the client's types must refuse it (they carry the router's, not \`any\`). */
const WRONG = `import { createLoadManagerClient } from "@loadmgr/client";

const client = createLoadManagerClient({ url: "http://x", token: "t" });
await client.loadTests.create.mutate({ name: 42 });
await client.runs.nonsense.query();
`;

describe("packages installed outside the repository", () => {
  let server: TestServer;
  let work: string;
  let tarball: string;

  before(async () => {
    server = await startTestServer();
    work = mkdtempSync(join(tmpdir(), "loadmgr-packages-"));
    const packed = JSON.parse(
      await sh("npm", ["pack", "--workspace", "client", "--pack-destination", work, "--json"], ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    const [info] = packed;
    assert.ok(info !== undefined);
    tarball = join(work, info.filename);
    const paths = info.files.map((f) => f.path);
    assert.ok(paths.includes("dist/index.d.ts") && paths.includes("dist/cli/bin.js"), paths.join(", "));
    assert.ok(!paths.some((p) => p.startsWith("src/")), "no TypeScript sources in the package");
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("the typed client: installed from its tarball, type-checked by tsc, run against a real server", async () => {
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    await sh(
      "npm",
      ["install", tarball, "@types/node@20", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
      app,
    );
    // Nothing of this repository is reachable from there but the installed package.
    assert.deepEqual(readdirSync(join(app, "node_modules/@loadmgr")), ["client"]);
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        types: ["node"],
        outDir: "out",
      },
    };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ ...tsconfig, files: ["program.ts"] }));
    writeFileSync(join(app, "program.ts"), PROGRAM);
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    await sh(process.execPath, [tsc, "-p", "tsconfig.json"], app);

    writeFileSync(join(app, "tsconfig.wrong.json"), JSON.stringify({ ...tsconfig, files: ["wrong.ts"] }));
    writeFileSync(join(app, "wrong.ts"), WRONG);
    const refused = await sh(process.execPath, [tsc, "-p", "tsconfig.wrong.json", "--noEmit"], app).then(
      () => "",
      (error: Error) => error.message,
    );
    assert.match(refused, /wrong\.ts\(4,.*error TS2\d+/, refused);
    assert.match(refused, /nonsense/, refused);

    const out = await sh(process.execPath, ["out/program.js"], app, { LM_URL: server.url, LM_TOKEN: ADMIN_TOKEN });
    const result = JSON.parse(out) as { id: string; listed: string[]; revision: number; stopped: string };
    assert.ok(result.listed.includes(result.id));
    assert.equal(result.revision, 1);
    // An api-only server queues the start; nothing launched it, so the stop ends it at once.
    assert.equal(result.stopped, "Stopped");
    const stored = await restClient(server.url).get<LoadTest>(`/v1/load-tests/${result.id}`);
    assert.equal(stored.body.name, "from a package");
  });

  it("the loadmgr CLI: `npm install -g` of the tarball gives a working loadmgr", async () => {
    const prefix = join(work, "global");
    await sh(
      "npm",
      ["install", "-g", tarball, "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
      work,
    );
    const api = restClient(server.url);
    const test = await api.post<LoadTest>("/v1/load-tests", {
      name: "listed by the installed CLI",
      ...SCOPE,
      targetUrl: "http://127.0.0.1:9",
      scriptContent: encodeScript(locustScript("/x")),
    });
    assert.equal(test.status, 201);
    const env = { LOADMGR_URL: server.url, LOADMGR_TOKEN: ADMIN_TOKEN, HOME: work };
    const listed = await sh(join(prefix, "bin/loadmgr"), ["tests", "list", "--json"], work, env);
    assert.ok(
      (JSON.parse(listed) as { items: { id: string }[] }).items.some((t) => t.id === test.body.id),
      `the CLI listed: ${listed}`,
    );
  });
});

describe("the Python plugin and agent as a wheel, in a clean venv outside the repository", () => {
  let work: string;
  let target: TargetApp;
  let agent: ChildProcess | undefined;
  let server: TestServer | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "loadmgr-wheel-"));
    target = await startTargetApp();
  });
  after(async () => {
    agent?.kill("SIGTERM");
    await server?.close();
    await target.close();
    for (const pid of processesMentioning(work)) process.kill(pid, "SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("installs from the server alone (the Agents page's commands) and runs a test through its agent to Finished", async () => {
    server = await startTestServer({ runner: { metricsIntervalSec: 1 } }, { role: "all" });
    const api = restClient(server.url);
    // The wheel npm start built from locust/, as the server offers it; the download needs no token.
    const wheel = (await api.get<AgentPackage>("/v1/agent-package")).body;
    assert.match(wheel.fileName, /^loadmgr_locust-0\.1\.0-py3-none-any\.whl$/);
    const download = await fetch(`${server.url}${wheel.path}`);
    assert.equal(download.status, 200);
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(createHash("sha256").update(bytes).digest("hex"), wheel.sha256);
    assert.equal(bytes.length, wheel.bytes);
    assert.equal((await fetch(`${server.url}/agent/loadmgr_locust-9.9.9-py3-none-any.whl`)).status, 404);
    const pool = await api.post<AgentPool & { token: string }>("/v1/agent-pools", { name: "wheel", ...SCOPE });
    assert.equal(pool.status, 201);

    // A wheel whose bytes are not the digest's is refused by pip, and nothing is installed.
    const [install = "", start = ""] = agentInstallCommands(server.url, wheel, pool.body.token);
    const tampered = install.replace(wheel.sha256, "0".repeat(64));
    await assert.rejects(sh("sh", ["-c", tampered], work), /THESE PACKAGES DO NOT MATCH THE HASHES|hash/i);
    rmSync(join(work, AGENT_VENV), { recursive: true, force: true });

    // On the host: the two commands as printed, in a directory outside the repository.
    await sh("sh", ["-c", install], work);
    const venv = join(work, AGENT_VENV);
    const where = await sh(
      join(venv, "bin/python"),
      ["-c", "import loadmgr_locust; print(loadmgr_locust.__file__)"],
      work,
    );
    assert.ok(where.startsWith(venv), `imported from ${where}`);
    // The Locust every host runs is the one the server runs (pinned in the wheel).
    const versions = await sh(join(venv, "bin/python"), ["-c", "import locust; print(locust.__version__)"], work);
    const ours = await sh(
      join(ROOT, ".venv/locust/bin/python"),
      ["-c", "import locust; print(locust.__version__)"],
      work,
    );
    assert.equal(versions.trim(), ours.trim());
    // The agent, as a load-generator host runs it: it dials out to the server.
    const agentDir = join(work, "runs");
    // (The shell stays its parent: the after hook ends every process of the work directory.)
    agent = spawn("sh", ["-c", `${start} --name wheel-host --dir ${agentDir}`], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: "ignore",
    });
    const test = await createTest(api, target.url, locustScript("/from-wheel"), {
      agentPool: pool.body.id,
      defaultWorkers: 1,
    });
    const started = await startRun(api, test.id, { durationSec: 3 });
    const done = await waitForRun(api, started.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.ok((target.hits.get("/from-wheel") ?? 0) > 0);
  });
});
