import { type ByIdInput } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import { AppError, notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function deleteHandler(ctx: AuthedContext, input: ByIdInput) {
  await loadTestInScope(ctx, input.id);
  const active = await ctx.store.runs.countActive(input.id);
  if (active > 0) {
    throw new AppError(
      "LOAD_TEST_HAS_ACTIVE_RUNS",
      `load test ${input.id} has ${active} active run(s); stop them first`,
      "id",
    );
  }
  const schedules = await ctx.store.schedules.list(input.id);
  if (!(await ctx.store.tests.delete(input.id))) throw notFound("LOAD_TEST", input.id);
  for (const schedule of schedules) await ctx.schedules.unregister(schedule.id);
  // After the entities: a failure here leaves only metrics no run points to, never a run without them.
  await ctx.metricsStore.deleteLoadTestMetrics(input.id);
  ctx.logger.info({ loadTestId: input.id, actor: ctx.principal.name }, "load test deleted");
  return { id: input.id, deleted: true as const };
}
