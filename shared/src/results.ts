import { z } from "zod";

/** A run's whole-run figures, as kept on the run when it ends (and in its test's recent runs). */
export const runResultsSchema = z.object({
  totalRequests: z.number().int(),
  totalFailures: z.number().int(),
  requestsPerSec: z.number(),
  errorRatePercent: z.number(),
  avgResponseMs: z.number(),
  p50ResponseMs: z.number(),
  p95ResponseMs: z.number(),
  p99ResponseMs: z.number(),
  maxResponseMs: z.number(),
});
export type RunResults = z.infer<typeof runResultsSchema>;
