import type { LoadTest, ScheduleOverrides, ThresholdItem } from "../../client/src/index.js";
import { paramsText, parseParams, parseRegions, parseThresholds, thresholdsText } from "./params.js";

/** What a run is started with, as its form holds it: text as typed, the test's defaults to begin with. */
export interface RunOptions {
  useStages: boolean;
  users: string;
  spawnRate: string;
  durationSec: string;
  targetUrl: string;
  params: string;
  workers: string;
  /** "eu=60, us=40": a pool run's workers split over agents labelled region=eu and region=us. */
  regions: string;
  thresholds: string;
}

/** The fields of RunOptions as the API names them (where it refuses one). */
export const RUN_OPTION_FIELDS = [
  "targetUsers",
  "spawnRate",
  "durationSec",
  "thresholds",
  "workers",
  "regions",
  "targetUrl",
  "env",
] as const;

export const defaultRunOptions = (test: LoadTest): RunOptions => ({
  useStages: test.defaultStages !== null,
  users: String(test.defaultUsers),
  spawnRate: String(test.defaultSpawnRate),
  durationSec: String(test.defaultDurationSec),
  targetUrl: test.targetUrl,
  params: paramsText(test.env),
  workers: test.defaultWorkers !== null ? String(test.defaultWorkers) : "",
  regions: "",
  thresholds: thresholdsText(test.thresholds),
});

/** A run's overrides: only what differs from the test's defaults (a schedule then follows later changes to them). */
export type RunOverrides = Pick<
  ScheduleOverrides,
  "targetUsers" | "spawnRate" | "durationSec" | "targetUrl" | "env" | "workers" | "regions"
>;

/**
 * The overrides and thresholds these options ask for. Leaving the test's stages names users, rate and
 * duration (else the stages would run); thresholds are null while they are the test's own.
 */
export function runOverrides(
  test: LoadTest,
  options: RunOptions,
): { overrides: RunOverrides; thresholds: ThresholdItem[] | null } {
  const overrides: RunOverrides = {};
  const leavesStages = test.defaultStages !== null && !options.useStages;
  if (!options.useStages) {
    const users = Number(options.users);
    const spawnRate = Number(options.spawnRate);
    const durationSec = Number(options.durationSec);
    if (leavesStages || options.users.trim() !== String(test.defaultUsers)) overrides.targetUsers = users;
    if (leavesStages || options.spawnRate.trim() !== String(test.defaultSpawnRate)) overrides.spawnRate = spawnRate;
    if (leavesStages || options.durationSec.trim() !== String(test.defaultDurationSec)) {
      overrides.durationSec = durationSec;
    }
  }
  if (options.targetUrl.trim() !== test.targetUrl) overrides.targetUrl = options.targetUrl.trim();
  const env = parseParams(options.params);
  if (paramsText(env) !== paramsText(test.env)) overrides.env = env;
  const workers = options.workers.trim();
  if (test.agentPool !== null && workers !== "" && workers !== String(test.defaultWorkers ?? "")) {
    overrides.workers = Number(workers);
  }
  const regions = parseRegions(options.regions);
  if (test.agentPool !== null && regions.length > 0) overrides.regions = regions;
  const thresholds = parseThresholds(options.thresholds);
  const own = thresholdsText(thresholds) === thresholdsText(test.thresholds);
  return { overrides, thresholds: own ? null : thresholds };
}
