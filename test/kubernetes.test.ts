import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { it } from "node:test";

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
