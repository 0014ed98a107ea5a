import { encodeScript, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { request, type Agent } from "node:http";

/** One JSON POST over a keep-alive agent with a bearer token; resolves with the status (the body is drained). */
export function postJson(agent: Agent, url: URL, path: string, payload: string, token: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0));
      },
    );
    req.on("error", fail);
    req.end(payload);
  });
}

/** Creates a load test that never runs Locust (the benchmark pushes for it) and `count` runs of it, as the admin. */
/** `count` runs of one new test; with `secrets`, the test uses secrets of those names (set first), so each push is redacted. */
export async function createBenchRuns(
  baseUrl: string,
  token: string,
  name: string,
  count: number,
  secrets: string[] = [],
): Promise<string[]> {
  const call = async <T>(path: string, payload: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(payload),
    });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  for (const secret of secrets) {
    const res = await fetch(`${baseUrl}/v1/secrets/${secret}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        accountId: "bench",
        orgId: "bench",
        projectId: "bench",
        value: `${secret}-value-0123456789`,
      }),
    });
    if (res.status !== 200) throw new Error(`secret ${secret}: ${res.status} ${await res.text()}`);
  }
  const test = await call<LoadTest>("/v1/load-tests", {
    name,
    secrets,
    accountId: "bench",
    orgId: "bench",
    projectId: "bench",
    targetUrl: "http://127.0.0.1:9",
    scriptContent: encodeScript("print('not run')\n"),
    maxDurationSec: 86_400,
    defaultDurationSec: 86_400,
  });
  const runs: string[] = [];
  for (let i = 0; i < count; i++) runs.push((await call<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).id);
  return runs;
}
