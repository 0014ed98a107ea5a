import type { z } from "zod";
import type { timeseriesInputSchema, Timeseries } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import { heavyRead } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function timeseriesHandler(
  ctx: AuthedContext,
  input: z.infer<typeof timeseriesInputSchema>,
): Promise<Timeseries> {
  const run = await runInScope(ctx, input.id);
  const { from, to, afterSeq, name, limit } = input;
  // A page at most: however long the window, one answer stays small (the client asks for the next).
  const page = await heavyRead(ctx, () =>
    ctx.windowReader.run("timeseries", { runId: run.id, from, to, afterSeq, name, limit }),
  );
  return { runId: run.id, name: name ?? null, ...page };
}
