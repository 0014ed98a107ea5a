import { EXIT, table, scopeOf, readAll, type CommandContext, type CommandResult } from "../options.js";

/** `loadmgr secrets …`: set, list, delete. */
export async function secrets(cx: CommandContext): CommandResult {
  const { sub, id, values, io, client, profile, print } = cx;
  if (sub === "set" && id !== undefined) {
    const scope = scopeOf(values, profile, "secrets set");
    // From stdin unless --value: a value on the command line shows in the process list and shell history.
    const value = values.value ?? (await readAll(process.stdin)).replace(/\r?\n$/, "");
    const secret = await client.secrets.put.mutate({
      name: id,
      value,
      ...scope,
      ...(values.env !== undefined ? { envId: values.env } : {}),
    });
    print(secret, () => io.out(`${secret.created ? "set" : "replaced"} secret ${secret.name}`));
    return EXIT.ok;
  }
  if (sub === "list") {
    const scope = scopeOf(values, profile, "secrets list");
    const { items } = await client.secrets.list.query({
      ...scope,
      ...(values.env !== undefined ? { envId: values.env } : {}),
    });
    print({ items }, () =>
      table(
        items.map((s) => ({
          name: s.name,
          env: s.envId ?? "(project)",
          updated: new Date(s.updatedAt).toISOString(),
          by: s.updatedBy,
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "delete" && id !== undefined) {
    const scope = scopeOf(values, profile, "secrets delete");
    const deleted = await client.secrets.delete.mutate({
      name: id,
      ...scope,
      ...(values.env !== undefined ? { envId: values.env } : {}),
    });
    print(deleted, () => io.out(`deleted secret ${id}`));
    return EXIT.ok;
  }
  return undefined;
}
