import { delta } from "./run.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { wholeTimeseries } from "../../index.js";
import { compareRuns, waitingFor } from "@loadmgr/shared";
import { UsageError } from "../connection.js";
import {
  EXIT,
  outcomeOption,
  runStatusOption,
  number,
  table,
  type CommandContext,
  type CommandResult,
} from "../options.js";

/** `loadmgr runs …`: compare, baseline, files, report, export, list, load, show, stop. */
export async function runs(cx: CommandContext): CommandResult {
  const { sub, id, positionals, values, io, client, connection, print } = cx;
  if (sub === "compare" && id !== undefined) {
    const other = positionals[3];
    if (other === undefined) throw new UsageError("runs compare needs <runA> <runB>");
    const [a, b] = await Promise.all([
      client.analytics.requests.query({ id }),
      client.analytics.requests.query({ id: other }),
    ]);
    const rows = compareRuns(a, b);
    print(rows, () =>
      table(
        rows.map((row) => ({
          endpoint: row.endpoint,
          rps: delta(row.rps),
          "error %": delta(row.error_rate),
          p50: delta(row.p50),
          p95: delta(row.p95),
          p99: delta(row.p99),
          "": row.regression ? "▲ regression" : "",
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "baseline" && id !== undefined) {
    const run = values.clear
      ? await client.runs.clearBaseline.mutate({ id })
      : await client.runs.setBaseline.mutate({ id });
    const env = run.envId === null ? "" : ` in env ${run.envId}`;
    print(run, () =>
      io.out(
        values.clear
          ? `run ${run.id} is no longer the baseline of test ${run.loadTestId}${env}`
          : `run ${run.id} is now the baseline of test ${run.loadTestId}${env}: later runs there are compared with it`,
      ),
    );
    return EXIT.ok;
  }
  /** A run's raw download (its report, one of its files), or undefined once the server's refusal is said. */
  const download = async (path: string): Promise<Response | undefined> => {
    const res = await fetch(`${connection.url.replace(/\/+$/, "")}/v1/runs/${encodeURIComponent(id ?? "")}/${path}`, {
      headers: { authorization: `Bearer ${connection.token}` },
    });
    if (res.ok) return res;
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    io.err(`loadmgr: ${body.message ?? `the server answered ${res.status}`}`);
    return undefined;
  };
  if (sub === "files" && id !== undefined) {
    const { items } = await client.runs.files.query({ id });
    if (values.dir === undefined) {
      print(items, () =>
        table(
          items.map((f) => ({
            name: f.name,
            bytes: f.bytes,
            truncated: f.truncated ? "yes" : "",
            collected: new Date(f.collectedAt).toISOString(),
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    mkdirSync(values.dir, { recursive: true });
    for (const file of items) {
      const res = await download(`files/${file.name}`);
      if (res === undefined) return EXIT.usage;
      writeFileSync(join(values.dir, file.name), Buffer.from(await res.arrayBuffer()));
    }
    io.out(`wrote ${items.length} file${items.length === 1 ? "" : "s"} of run ${id} to ${values.dir}`);
    return EXIT.ok;
  }
  if (sub === "report" && id !== undefined) {
    const res = await download("report.html");
    if (res === undefined) return EXIT.usage;
    const html = await res.text();
    if (values.output === undefined) process.stdout.write(html);
    else {
      writeFileSync(values.output, html);
      io.out(`wrote the report of run ${id} to ${values.output}`);
    }
    return EXIT.ok;
  }
  if (sub === "export" && id !== undefined) {
    const format = values.format ?? "csv";
    if (format !== "csv" && format !== "json") throw new UsageError(`--format must be csv or json, not "${format}"`);
    if (format === "json") {
      const [requests, timeseries] = await Promise.all([
        client.analytics.requests.query({ id }),
        wholeTimeseries(client, { id }),
      ]);
      io.out(JSON.stringify({ requests, timeseries }));
    } else {
      await client.runs.get.query({ id }); // a clear error for an unknown run before the CSV request
      const res = await fetch(`${connection.url.replace(/\/+$/, "")}/v1/runs/${encodeURIComponent(id)}/requests.csv`, {
        headers: { authorization: `Bearer ${connection.token}` },
      });
      process.stdout.write(await res.text());
    }
    return EXIT.ok;
  }
  if (sub === "list") {
    const page = await client.runs.list.query({
      ...(values.test !== undefined ? { loadTestId: values.test } : {}),
      ...(values.status !== undefined ? { status: runStatusOption(values.status) } : {}),
      ...(values.outcome !== undefined ? { outcome: outcomeOption(values.outcome) } : {}),
      ...(values.env !== undefined ? { envId: values.env } : {}),
      ...(values.tag?.[0] !== undefined ? { tag: values.tag[0] } : {}),
    });
    print(page, () =>
      table(
        page.items.map((r) => ({
          id: r.id,
          name: r.name,
          test: r.loadTestId,
          status: r.status,
          users: r.targetUsers,
          p95: r.results !== null ? `${r.results.p95ResponseMs.toFixed(0)} ms` : "",
          errors: r.results !== null ? `${r.results.errorRatePercent.toFixed(1)} %` : "",
          outcome: r.outcome ?? "",
          created: new Date(r.createdAt).toISOString(),
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "load" && id !== undefined) {
    if (values.users === undefined)
      throw new UsageError("runs load needs --users N (and --spawn-rate R, if not the run's)");
    const run = await client.runs.setLoad.mutate({
      id,
      targetUsers: number(values, "users") ?? 0,
      ...(values["spawn-rate"] !== undefined ? { spawnRate: number(values, "spawn-rate") } : {}),
    });
    const change = run.loadChanges.at(-1);
    print(run, () =>
      io.out(`run ${run.id}: ${change?.targetUsers ?? "?"} users at ${change?.spawnRate ?? "?"}/s from now`),
    );
    return EXIT.ok;
  }
  if ((sub === "show" || sub === "stop") && id !== undefined) {
    const run = sub === "show" ? await client.runs.get.query({ id }) : await client.runs.stop.mutate({ id });
    const waiting = waitingFor(run);
    print(run, () => io.out(`${run.id} ${run.status}${waiting !== null ? ` (${waiting})` : ""}`));
    return EXIT.ok;
  }
  return undefined;
}
