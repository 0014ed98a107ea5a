/** What a run's stages add up to and which one is under way: no schema here (the dashboard uses them). */
import type { Stage } from "./params.js";

/** The whole length of a run with these stages. */
export const stagesDuration = (stages: Stage[]): number => stages.reduce((sum, s) => sum + s.durationSec, 0);
/** The most users any stage asks for: what the run's targetUsers records. */
export const stagesPeakUsers = (stages: Stage[]): number => Math.max(0, ...stages.map((s) => s.users));

/** The stage under way `elapsedSec` into a run (the last one after their end). */
export function stageAt(stages: Stage[], elapsedSec: number): { index: number; stage: Stage } | undefined {
  let end = 0;
  for (const [index, stage] of stages.entries()) {
    end += stage.durationSec;
    if (elapsedSec < end) return { index, stage };
  }
  const last = stages.at(-1);
  return last === undefined ? undefined : { index: stages.length - 1, stage: last };
}
