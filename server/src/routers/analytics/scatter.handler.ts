import type { z } from "zod";
import type { scatterInputSchema, Scatter } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import { heavyRead } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function scatterHandler(ctx: AuthedContext, input: z.infer<typeof scatterInputSchema>): Promise<Scatter> {
  const run = await runInScope(ctx, input.id);
  const { from, to, name, maxColumns } = input;
  const scatter = await heavyRead(ctx, () =>
    ctx.windowReader.run("scatter", { runId: run.id, from, to, name, maxColumns }),
  );
  return { runId: run.id, name: name ?? null, ...scatter };
}
