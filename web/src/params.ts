import type { RegionShare, Stage, ThresholdItem } from "../../client/src/index.js";
import { formatThresholdItem, parseThresholdItem } from "../../shared/src/judge.js";
import { count, duration } from "./format.js";

/** Parameters as forms show them: NAME=value per line. */
export const paramsText = (env: Record<string, string>): string =>
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");

/** NAME=value lines back into parameters; a line without "=" is a name with an empty value (the API judges names). */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) out[line.trim()] = "";
    else out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/** Stages as forms show them, one per line as the CLI's --stage takes them: SECONDS:USERS:SPAWN_RATE. */
export const stagesLines = (stages: Stage[] | null): string =>
  (stages ?? []).map((s) => `${s.durationSec}:${s.users}:${s.spawnRate}`).join("\n");

/** Lines back into stages; what is not a number goes as NaN, so the API names the stage and field. */
export function parseStages(text: string): Stage[] | null {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return null;
  return lines.map((line) => {
    // (Spaces or commas between the numbers are taken too: the form's earlier way.)
    const [seconds, users, rate] = line.trim().split(/[\s,:]+/);
    const n = (v: string | undefined) => (v === undefined || v === "" ? Number.NaN : Number(v));
    return { durationSec: n(seconds), users: n(users), spawnRate: n(rate) };
  });
}

export const stagesText = (stages: Stage[]): string =>
  stages.map((s) => `${count(s.users)} users for ${duration(s.durationSec)}`).join(" → ");

/** Thresholds as forms show them, one per line: `p95<300`, or `p95<300 abort window=10s delay=10s`. */
export const thresholdsText = (items: ThresholdItem[]): string => items.map(formatThresholdItem).join("\n");

/** Lines back into thresholds; a line that does not read goes as it is, so the API names it and its field. */
export function parseThresholds(text: string): ThresholdItem[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      try {
        return parseThresholdItem(line);
      } catch {
        return line;
      }
    });
}

/** A run's regions as forms show them: "eu=60, us=40". */
export const regionsText = (regions: RegionShare[]): string => regions.map((r) => `${r.name}=${r.share}`).join(", ");

/** "eu=60, us=40" back into regions; a share that is not a number goes as NaN, so the API names the region. */
export function parseRegions(text: string): RegionShare[] {
  return text
    .split(/[\s,]+/)
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      const share = eq < 0 ? Number.NaN : Number(part.slice(eq + 1).replace(/%$/, ""));
      return { name: eq < 0 ? part : part.slice(0, eq), share };
    });
}
