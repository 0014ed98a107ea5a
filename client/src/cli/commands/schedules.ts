import { UsageError } from "../connection.js";
import { EXIT, table, thresholdsOf, runOverrides, type CommandContext, type CommandResult } from "../options.js";
import { enableOrDelete } from "./enableOrDelete.js";

/** `loadmgr schedules …`: create, list, enable, disable, delete. */
export async function schedules(cx: CommandContext): CommandResult {
  const { sub, id, values, io, client, print } = cx;
  if (sub === "create" && id !== undefined) {
    if (values.cron === undefined) throw new UsageError('schedules create needs --cron, e.g. --cron "0 2 * * *"');
    const thresholds = thresholdsOf(values);
    const schedule = await client.schedules.create.mutate({
      id,
      cron: values.cron,
      ...(values.tz !== undefined ? { timezone: values.tz } : {}),
      ...(thresholds !== undefined ? { thresholds } : {}),
      overrides: runOverrides(values),
    });
    print(schedule, () =>
      io.out(
        `schedule ${schedule.id} created: ${schedule.cron} (${schedule.timezone}); next run ${
          schedule.nextRunAt !== null ? new Date(schedule.nextRunAt).toISOString() : "—"
        }`,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "list" && id !== undefined) {
    const { items } = await client.schedules.list.query({ id });
    print(items, () =>
      table(
        items.map((s) => ({
          id: s.id,
          cron: s.cron,
          timezone: s.timezone,
          enabled: s.enabled ? "yes" : "no",
          next: s.nextRunAt !== null ? new Date(s.nextRunAt).toISOString() : "",
          last:
            s.ticks[0] === undefined
              ? ""
              : `${s.ticks[0].outcome}${s.ticks[0].reason !== null ? `: ${s.ticks[0].reason}` : ""}`,
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  const toggled = await enableOrDelete(cx);
  if (toggled !== undefined) return toggled;
  return undefined;
}
