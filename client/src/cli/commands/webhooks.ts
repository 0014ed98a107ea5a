import { type WebhookEvent } from "@loadmgr/shared";
import { UsageError } from "../connection.js";
import { EXIT, table, scopeOf, type CommandContext, type CommandResult } from "../options.js";
import { enableOrDelete } from "./enableOrDelete.js";

/** `loadmgr webhooks …`: create, list, deliveries, enable, disable, delete. */
export async function webhooks(cx: CommandContext): CommandResult {
  const { sub, id, values, io, client, profile, print } = cx;
  if (sub === "create") {
    if (values.to === undefined || values.event === undefined)
      throw new UsageError("webhooks create needs --to URL and at least one --event");
    if ((values.secret?.length ?? 0) > 1) throw new UsageError("webhooks create takes one --secret");
    const format = values.format ?? "json";
    if (format !== "json" && format !== "slack")
      throw new UsageError(`--format must be json or slack, not "${format}"`);
    const hook = await client.webhooks.create.mutate({
      ...scopeOf(values, profile, "webhooks create"),
      url: values.to,
      events: values.event as WebhookEvent[],
      format,
      ...(values.secret?.[0] !== undefined ? { secret: values.secret[0] } : {}),
      ...(values.env !== undefined ? { envId: values.env } : {}),
    });
    print(hook, () => {
      io.out(`webhook ${hook.id} created: ${hook.events.join(", ")} → ${hook.url}`);
      if (hook.secret !== null) {
        io.out("Its signing secret, shown this once (check X-LoadManager-Signature with it):");
        io.out(hook.secret);
      }
    });
    return EXIT.ok;
  }
  if (sub === "list") {
    const { items } = await client.webhooks.list.query({});
    print(items, () =>
      table(
        items.map((h) => ({
          id: h.id,
          url: h.url,
          events: h.events.join(","),
          format: h.format,
          scope: [h.accountId, h.orgId, h.projectId, h.envId ?? "*"].join("/"),
          enabled: h.enabled ? "yes" : "no",
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "deliveries" && id !== undefined) {
    const { items } = await client.webhooks.deliveries.query({ id });
    print(items, () =>
      table(
        items.map((d) => ({
          at: new Date(d.at).toISOString(),
          event: d.event,
          run: d.runId,
          attempt: d.attempt,
          status: d.statusCode ?? "",
          result: d.error ?? "delivered",
          next: d.nextAttemptAt !== null ? new Date(d.nextAttemptAt).toISOString() : "",
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
