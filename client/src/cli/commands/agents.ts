import { UsageError } from "../connection.js";
import { EXIT, type CommandContext, type CommandResult } from "../options.js";
import { pools } from "./pools.js";

/** `loadmgr agents …`: forget, list. */
export async function agents(cx: CommandContext): CommandResult {
  const { sub, id, values, io, client, print } = cx;
  if (sub === "forget" && id !== undefined) {
    if (values.pool === undefined) throw new UsageError("agents forget needs --pool <poolId>");
    const answer = await client.agentPools.forgetAgent.mutate({ id: values.pool, agentId: id });
    print(answer, () => io.out(`agent ${id} forgotten`));
    return EXIT.ok;
  }
  if (sub === "list") return pools(cx);
  return undefined;
}
