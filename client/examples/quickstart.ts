import { readFileSync } from "node:fs";
import { WebSocket } from "ws"; // Node 20 has no WebSocket of its own; browsers and Node 22 need no import
import { createLoadManagerClient, type RunSummary } from "@loadmgr/client";

/** Create a test from a locustfile, start a run, watch it live, stop it after three snapshots, fetch its summary. */
export async function quickstart(opts: { url: string; token: string; target: string; locustfile: string }) {
  const client = createLoadManagerClient({ url: opts.url, token: opts.token, WebSocket });

  // 1. a load test from a file (the script becomes revision 1)
  const test = await client.loadTests.create.mutate({
    name: "Shop browse",
    accountId: "acme",
    orgId: "web",
    projectId: "shop",
    targetUrl: opts.target,
    scriptContent: readFileSync(opts.locustfile).toString("base64"),
    defaultUsers: 5,
    defaultSpawnRate: 5,
    maxDurationSec: 600,
  });

  // 2. a run of it, with overrides
  const run = await client.runs.create.mutate({ id: test.id, targetUsers: 4, durationSec: 60 });

  // 3. watch it live, and 4. stop it after three snapshots; the subscription ends when the run has ended
  const seen: number[] = [];
  await new Promise<void>((resolve, reject) => {
    client.runs.onMetrics.subscribe(
      { runId: run.id },
      {
        onData: ({ data }) => {
          seen.push(data.seq);
          if (seen.length === 3) client.runs.stop.mutate({ id: run.id }).catch(reject);
        },
        onError: reject,
        onComplete: resolve,
      },
    );
  });

  // 5. the summary: the four cards, status and percentiles
  const summary: RunSummary = await client.analytics.summary.query({ id: run.id });
  return { testId: test.id, runId: run.id, seen, summary };
}
