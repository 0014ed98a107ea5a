import { basename } from "node:path";
import type { parseArgs } from "node:util";
import { type LoadManagerClient } from "../index.js";
import {
  LOCUSTFILE_PATH,
  parseThresholdItem,
  RUN_STATUSES,
  RUN_OUTCOMES,
  type RunOutcome,
  ThresholdError,
  type RegionShare,
  type RunStatus,
  type ScheduleOverrides,
  type ThresholdItem,
} from "@loadmgr/shared";
import { UsageError } from "./connection.js";
import { parseParams, parseStage, readProject, type Project } from "./project.js";
import type { Profile, readProfile } from "./connection.js";

/** Exit codes a CI pipeline can branch on. */
export const EXIT = { ok: 0, usage: 1, runFailed: 3, unreachable: 4, noSuccess: 98, thresholdsBreached: 99 } as const;

export function outcomeOption(value: string): RunOutcome {
  const outcome = RUN_OUTCOMES.find((o) => o === value.toLowerCase());
  if (outcome === undefined) throw new UsageError(`--outcome must be one of ${RUN_OUTCOMES.join(", ")}`);
  return outcome;
}

export function runStatusOption(value: string): RunStatus {
  const status = RUN_STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (status === undefined) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}`);
  return status;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
}

export const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  file: { type: "string", short: "f", multiple: true },
  dir: { type: "string" },
  split: { type: "string", multiple: true },
  secret: { type: "string", multiple: true },
  param: { type: "string", multiple: true },
  stage: { type: "string", multiple: true },
  value: { type: "string" },
  name: { type: "string" },
  target: { type: "string" },
  account: { type: "string" },
  org: { type: "string" },
  project: { type: "string" },
  env: { type: "string" },
  users: { type: "string" },
  "spawn-rate": { type: "string" },
  duration: { type: "string" },
  "max-duration": { type: "string" },
  tag: { type: "string", multiple: true },
  "allow-host": { type: "string", multiple: true },
  test: { type: "string" },
  status: { type: "string" },
  description: { type: "string" },
  wait: { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
  threshold: { type: "string", multiple: true },
  "compare-baseline": { type: "boolean", default: false },
  "allow-no-success": { type: "boolean", default: false },
  outcome: { type: "string" },
  "fail-on-regression": { type: "boolean", default: false },
  clear: { type: "boolean", default: false },
  summary: { type: "string" },
  "summary-file": { type: "string" },
  output: { type: "string", short: "o" },
  event: { type: "string", multiple: true },
  to: { type: "string" },
  cron: { type: "string" },
  tz: { type: "string" },
  message: { type: "string", short: "m" },
  format: { type: "string" },
  pool: { type: "string" },
  workers: { type: "string" },
  "min-workers": { type: "string" },
  region: { type: "string", multiple: true },
  help: { type: "boolean", short: "h", default: false },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

export function number(
  values: Values,
  key: "users" | "spawn-rate" | "duration" | "max-duration" | "workers" | "min-workers",
): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${key} must be a number, not "${raw}"`);
  return parsed;
}

export function table(rows: Record<string, string | number>[], io: Io): void {
  if (rows.length === 0) return io.out("(none)");
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  io.out(line(columns));
  for (const row of rows) io.out(line(columns.map((c) => String(row[c]))));
}

/** The account/org/project a create goes to: the options, else the saved profile's. */
export function scopeOf(
  values: Values,
  profile: ReturnType<typeof readProfile>,
  what: string,
): { accountId: string; orgId: string; projectId: string } {
  const accountId = values.account ?? profile.accountId;
  const orgId = values.org ?? profile.orgId;
  const projectId = values.project ?? profile.projectId;
  if (accountId === undefined || orgId === undefined || projectId === undefined) {
    throw new UsageError(`${what} needs --account, --org and --project (or set them with \`loadmgr login\`)`);
  }
  return { accountId, orgId, projectId };
}

/**
 * The project named by --dir, or by -f/--file (repeatable: the one named locustfile.py, else the
 * first, is the locustfile; the others go beside it), checked before anything is sent.
 */
export function projectOf(values: Values): Project {
  const given = values.file ?? [];
  const main = given.find((f) => basename(f) === LOCUSTFILE_PATH) ?? given[0];
  return readProject({
    file: main,
    dir: values.dir,
    files: given.filter((f) => f !== main),
    split: values.split,
  });
}

/** --threshold values in the CLI's form (`p95<300`, `p95<300 abort window=10s delay=10s`). */
export function thresholdsOf(values: Values): ThresholdItem[] | undefined {
  try {
    return values.threshold?.map(parseThresholdItem);
  } catch (error) {
    if (error instanceof ThresholdError) throw new UsageError(`--threshold: ${error.message}`);
    throw error;
  }
}

/** `--region eu=60`: the agents labelled region=eu run 60 % of the workers. */
export function parseRegion(raw: string): RegionShare {
  const match = /^([^=]+)=(\d+)%?$/.exec(raw.trim());
  if (match === null) throw new UsageError(`--region takes NAME=SHARE (a percent), e.g. eu=60, not "${raw}"`);
  return { name: match[1] ?? "", share: Number(match[2]) };
}

/** A run's overrides from the options (for `run`, and for the runs a schedule starts). */
export function runOverrides(values: Values): ScheduleOverrides {
  const params = parseParams(values.param);
  return {
    ...(values.users !== undefined ? { targetUsers: number(values, "users") } : {}),
    ...(values.workers !== undefined ? { workers: number(values, "workers") } : {}),
    ...(values["min-workers"] !== undefined ? { minWorkers: number(values, "min-workers") } : {}),
    ...(values.region !== undefined ? { regions: values.region.map(parseRegion) } : {}),
    ...(values["spawn-rate"] !== undefined ? { spawnRate: number(values, "spawn-rate") } : {}),
    ...(values.duration !== undefined ? { durationSec: number(values, "duration") } : {}),
    ...(values.stage !== undefined ? { stages: values.stage.map(parseStage) } : {}),
    ...(values.target !== undefined ? { targetUrl: values.target } : {}),
    ...(values.env !== undefined ? { envId: values.env } : {}),
    ...(values.tag !== undefined ? { tags: values.tag } : {}),
    ...(params !== undefined ? { env: params } : {}),
  };
}

/** What started a run from here: a CI pipeline (CI=true, as GitHub Actions and GitLab CI set) or a person. */
export const triggerOf = (io: Io): "ci" | "cli" => (io.env.CI === "true" || io.env.CI === "1" ? "ci" : "cli");

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf-8");
}

/** What every command gets: its words, the options, the server's client and how to print. */
export interface CommandContext {
  command: string;
  sub: string | undefined;
  id: string | undefined;
  positionals: string[];
  values: Values;
  io: Io;
  client: LoadManagerClient;
  connection: { url: string; token: string };
  profile: Profile;
  /** Prints `value` as JSON with --json, otherwise as `human` does. */
  print: (value: unknown, human: () => void) => void;
}

/** A command's exit code; undefined when it has no such subcommand (a usage error). */
export type CommandResult = Promise<number | undefined>;
