import {
  stagesDuration,
  stagesPeakUsers,
  type CreateRunInput,
  type LoadTest,
  type ScriptFileInfo,
  type Stage,
} from "@loadmgr/shared";
import { AppError } from "../errors.js";
import type { Store } from "../store/store.js";

export interface RunLoad {
  targetUsers: number;
  spawnRate: number;
  durationSec: number;
  /** Deprecated: durationSec again, under the name runs once had (the API still says it). */
  durationSeconds: number;
  stages: Stage[] | null;
}

/** The run's own duration: `durationSec`, or `durationSeconds`, its deprecated name (still accepted). */
function durationOf(input: CreateRunInput): number | undefined {
  const { durationSec, durationSeconds } = input;
  if (durationSec !== undefined && durationSeconds !== undefined && durationSec !== durationSeconds) {
    throw new AppError(
      "INVALID_INPUT",
      `durationSeconds (${durationSeconds}) is the deprecated name of durationSec (${durationSec}); give one, or both the same`,
      "durationSec",
    );
  }
  return durationSec ?? durationSeconds;
}

/**
 * The load a run applies: its own stages, or its own users/rate/duration (over the test's
 * defaults), or, when it names none of these, the test's default stages if it has them.
 */
export function runLoad(test: LoadTest, input: CreateRunInput): RunLoad {
  const ownDuration = durationOf(input);
  const plain = input.targetUsers !== undefined || input.spawnRate !== undefined || ownDuration !== undefined;
  if (input.stages !== undefined && plain) {
    throw new AppError(
      "STAGES_CONFLICT",
      "a run has stages or targetUsers/spawnRate/durationSec, not both (the stages set all three)",
      "stages",
    );
  }
  const stages = input.stages ?? (plain ? null : test.defaultStages);
  if (stages === null) {
    const durationSec = ownDuration ?? test.defaultDurationSec;
    if (durationSec > test.maxDurationSec) {
      throw new AppError(
        "DURATION_ABOVE_MAX",
        `durationSec (${durationSec}) is above the test's maxDurationSec (${test.maxDurationSec})`,
        input.durationSec === undefined && input.durationSeconds !== undefined ? "durationSeconds" : "durationSec",
      );
    }
    return {
      targetUsers: input.targetUsers ?? test.defaultUsers,
      spawnRate: input.spawnRate ?? test.defaultSpawnRate,
      durationSec,
      durationSeconds: durationSec,
      stages: null,
    };
  }
  checkStagesDuration(stages, test.maxDurationSec, input.stages !== undefined ? "stages" : "defaultStages");
  return {
    targetUsers: stagesPeakUsers(stages),
    spawnRate: Math.max(...stages.map((s) => s.spawnRate)),
    durationSec: stagesDuration(stages),
    durationSeconds: stagesDuration(stages),
    stages,
  };
}

export function checkStagesDuration(stages: Stage[], maxDurationSec: number, field: string): void {
  const total = stagesDuration(stages);
  if (total > maxDurationSec) {
    throw new AppError(
      "DURATION_ABOVE_MAX",
      `the stages last ${total} s, above the test's maxDurationSec (${maxDurationSec})`,
      field,
    );
  }
}

/** `class Name(…LoadTestShape…):` in Python source: the shape classes a locustfile (or its helpers) define. */
const SHAPE_CLASS = /^[ \t]*class[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]*\bLoadTestShape\b[^)]*)\)[ \t]*:/gm;

export function shapeClasses(source: string): string[] {
  return [...source.matchAll(SHAPE_CLASS)].map((m) => m[1] ?? "").filter(Boolean);
}

/**
 * What drives a run's load when its project defines a LoadTestShape of its own, said before it
 * starts: the run's stages win over the locustfile's shape; without stages, Locust's own rule holds
 * (the shape drives it, and the run's users and spawn rate are not used). Null: no shape class.
 */
export async function shapeNote(
  store: Store,
  revision: { id: string; scriptContent: string; files: ScriptFileInfo[] },
  stages: Stage[] | null,
): Promise<string | null> {
  const helpers = revision.files.filter((f) => f.path.endsWith(".py")).map((f) => f.path);
  const sources = [Buffer.from(revision.scriptContent, "base64").toString("utf-8")];
  if (helpers.length > 0) {
    for (const file of await store.tests.getFiles(revision.id, helpers)) sources.push(file.content.toString("utf-8"));
  }
  const names = [...new Set(sources.flatMap(shapeClasses))];
  if (names.length === 0) return null;
  const named = names.join(", ");
  return stages !== null
    ? `the run's stages drive the load; the script's shape class ${named} is not used`
    : `the script's shape class ${named} drives the load; targetUsers and spawnRate are not used (Locust's rule)`;
}
