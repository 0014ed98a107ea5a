import type { LoadTest, LoadTestRun, Stage } from "@loadmgr/shared";
import { filesForRun } from "../domain/revisionFiles.js";
import type { SecretValues } from "../secrets/secretValues.js";
import type { Store } from "../store/store.js";

/** What a run's Locust gets besides its load figures: its project, its parameters and its secrets' values. */
export interface RunContent {
  scriptContent: string;
  files: { path: string; contentBase64: string; split: boolean }[];
  targetUrl: string;
  env: Record<string, string>;
  /** Secret name → value: only in the spec a runner gets, never stored on the run nor logged. */
  secretEnv: Record<string, string>;
  stages: Stage[] | null;
}

/** The run's content as it was recorded on it (its revision, its own target and env), or why it cannot be had. */
export async function runContent(
  store: Store,
  secrets: SecretValues,
  run: LoadTestRun,
): Promise<{ ok: true; content: RunContent; test: LoadTest } | { ok: false; reason: string }> {
  const [revision, test] = await Promise.all([
    store.tests.getRevision(run.loadTestId, run.scriptRevisionId),
    store.tests.get(run.loadTestId),
  ]);
  if (revision === undefined || test === undefined) {
    return { ok: false, reason: `script revision ${run.scriptRevisionId} is gone` };
  }
  let secretEnv: Record<string, string>;
  try {
    secretEnv = await secrets.values(run, run.secrets);
  } catch (error) {
    return { ok: false, reason: `its secrets could not be read: ${(error as Error).message}` };
  }
  // Hidden from everything the run reports, from its first report, whatever happens to the secrets later.
  secrets.remember(run.id, Object.values(secretEnv));
  return {
    ok: true,
    test,
    content: {
      scriptContent: revision.scriptContent,
      files: await filesForRun(store, revision),
      targetUrl: run.targetUrl !== "" ? run.targetUrl : test.targetUrl,
      env: run.env,
      secretEnv,
      stages: run.stages,
    },
  };
}
