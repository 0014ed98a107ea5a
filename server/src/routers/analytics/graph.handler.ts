import type { z } from "zod";
import type { graphInputSchema, Graph } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import { heavyRead } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function graphHandler(ctx: AuthedContext, input: z.infer<typeof graphInputSchema>): Promise<Graph> {
  const run = await runInScope(ctx, input.id);
  const { from, to, name, maxPoints } = input;
  // In the read worker, whole run or window: merging thousands of histograms is no work for this thread.
  // A whole run reads a bounded number of pre-merged blocks; a window or one name's chart (whole
  // snapshots) counts as a heavy read.
  const read = () =>
    ctx.windowReader.run("graph", { runId: run.id, from, to, name, maxPoints, lastSeq: run.lastMetrics?.seq ?? 0 });
  const light = from === undefined && to === undefined && name === undefined;
  const graph = await (light ? read() : heavyRead(ctx, read));
  return { runId: run.id, ...graph };
}
