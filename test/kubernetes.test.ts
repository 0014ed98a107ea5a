import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../server/src/config.js";

const ROOT = resolve(import.meta.dirname, "..");
const KUBECONFORM = join(ROOT, ".tools/bin/kubeconform");
const K8S_VERSION = "1.34.2";
const MANIFESTS = join(ROOT, "deploy/kubernetes");

/** kubeconform in strict mode against the Kubernetes schemas scripts/setup-test.sh wrote (no network). */
function kubeconform(files: string[]): Promise<{ code: number; output: string }> {
  const location = join(
    ROOT,
    ".tools/k8s-schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
  );
  return new Promise((done) => {
    execFile(
      KUBECONFORM,
      ["-strict", "-summary", "-kubernetes-version", K8S_VERSION, "-schema-location", location, ...files],
      (error, stdout, stderr) => done({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr }),
    );
  });
}

it("the Kubernetes manifests are valid against the Kubernetes schemas (kubeconform, strict)", async () => {
  const files = readdirSync(MANIFESTS)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(MANIFESTS, f));
  assert.ok(files.length > 0);
  const documents = files.reduce((n, f) => n + readFileSync(f, "utf-8").split(/^---$/m).length, 0);
  const { code, output } = await kubeconform(files);
  assert.equal(code, 0, output);
  assert.match(
    output,
    new RegExp(
      `${documents} resources found in ${files.length} files? - Valid: ${documents}, Invalid: 0, Errors: 0, Skipped: 0`,
    ),
  );
});

it("the check fails on a manifest with a field Kubernetes does not have", async () => {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-k8s-"));
  try {
    const broken = join(dir, "broken.yaml");
    writeFileSync(
      broken,
      readFileSync(join(MANIFESTS, "agent-pool.yaml"), "utf-8").replace("  replicas: 3", "  replica: 3"),
    );
    const { code, output } = await kubeconform([broken]);
    assert.equal(code, 1);
    assert.match(output, /Deployment loadmgr-agent is invalid.*additionalProperties 'replica' not allowed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// No cluster here: what can be checked without one is that the pieces fit together.
it("the server's manifest loads as a config, its Service is what the pool dials, and the probes ask the agent", () => {
  type Container = {
    env?: { name: string; value?: string }[];
    args?: string[];
    livenessProbe?: { exec?: { command: string[] } };
    readinessProbe?: { exec?: { command: string[] } };
  };
  type Doc = { kind: string; metadata: { name: string }; spec: { template?: { spec: { containers: Container[] } } } };
  const docs = (file: string) =>
    parseAllDocuments(readFileSync(join(MANIFESTS, file), "utf-8")).map((d) => d.toJS() as Doc);
  const [server] = docs("server.yaml").filter((d) => d.kind === "Deployment");
  const env = Object.fromEntries((server?.spec.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  const config = loadConfig({ env: { ...env, LOADMGR_API_TOKEN: "a-token-from-the-secret-0123456789" } });
  assert.equal(config.server.host, "0.0.0.0");
  assert.equal(config.storage.dataDir, "/data");
  const service = docs("server.yaml").find((d) => d.kind === "Service");
  const [agent] = docs("agent-pool.yaml").filter((d) => d.kind === "Deployment");
  const container = agent?.spec.template?.spec.containers[0];
  const dials = container?.env?.find((e) => e.name === "LOADMGR_SERVER")?.value ?? "";
  assert.equal(new URL(dials).hostname.split(".")[0], service?.metadata.name);
  assert.equal(new URL(config.server.publicUrl ?? "").hostname, new URL(dials).hostname);
  assert.deepEqual(container?.livenessProbe?.exec?.command.slice(0, 2), ["loadmgr-locust", "agent-health"]);
  assert.deepEqual(container?.readinessProbe?.exec?.command.at(-1), "--ready");
  const runsDir = container?.livenessProbe?.exec?.command[3];
  assert.match(readFileSync(join(ROOT, "locust/Dockerfile"), "utf-8"), new RegExp(`--dir", "${runsDir ?? "?"}"`));
  assert.deepEqual(container?.args?.slice(4, 6), ["--capacity", "$(CAPACITY)"]);
});
