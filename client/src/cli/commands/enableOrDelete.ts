import { EXIT, type CommandContext, type CommandResult } from "../options.js";

/** `schedules|webhooks enable|disable|delete <id>`: the same for both. */
export async function enableOrDelete(cx: CommandContext): CommandResult {
  const { command, sub, id, io, client, print } = cx;
  if (
    (command === "schedules" || command === "webhooks") &&
    (sub === "enable" || sub === "disable" || sub === "delete") &&
    id !== undefined
  ) {
    const kind = command === "schedules" ? "schedule" : "webhook";
    if (sub === "delete") {
      const deleted =
        command === "schedules"
          ? await client.schedules.delete.mutate({ id })
          : await client.webhooks.delete.mutate({ id });
      print(deleted, () => io.out(`deleted ${kind} ${id}`));
      return EXIT.ok;
    }
    const enabled = sub === "enable";
    const changed =
      command === "schedules"
        ? await client.schedules.update.mutate({ id, enabled })
        : await client.webhooks.update.mutate({ id, enabled });
    print(changed, () => io.out(`${kind} ${changed.id} ${changed.enabled ? "enabled" : "disabled"}`));
    return EXIT.ok;
  }
  return undefined;
}
