import { z } from "zod";

export const RUN_STATUSES = ["Pending", "Running", "Stopping", "Finished", "Stopped", "Failed"] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;

/** The run lifecycle, the one place it is defined: status → statuses it may move to. */
const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  Pending: ["Running", "Stopping", "Stopped", "Failed"],
  Running: ["Stopping", "Finished", "Stopped", "Failed"],
  Stopping: ["Stopped", "Finished", "Failed"],
  Finished: [],
  Stopped: [],
  Failed: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses from which `to` may be reached; stores use it as the guard of a conditional update. */
export function predecessorsOf(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => NEXT[from].includes(to));
}

export function isTerminal(status: RunStatus): boolean {
  return NEXT[status].length === 0;
}

export const ACTIVE_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => !isTerminal(s));
