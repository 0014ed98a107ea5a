import { agentInstallCommands } from "@loadmgr/shared";
import { UsageError } from "../connection.js";
import { EXIT, table, scopeOf, type CommandContext, type CommandResult } from "../options.js";

/** `loadmgr pools …`: create, rotate or revoke the token, delete, list. */
export async function pools(cx: CommandContext): CommandResult {
  const { command, sub, id, values, io, client, connection, profile, print } = cx;
  if (sub === "create") {
    if (values.name === undefined) throw new UsageError("pools create needs --name");
    const pool = await client.agentPools.create.mutate({
      name: values.name,
      ...scopeOf(values, profile, "pools create"),
      ...(values.env !== undefined ? { envId: values.env } : {}),
    });
    // The server's own wheel, checked by pip; a server without one built still gives the agent's command.
    const wheel = await client.agentPools.package.query().catch(() => undefined);
    print(pool, () => {
      io.out(`pool ${pool.id} (${pool.name}) created. Its enrollment token, shown this once:`);
      io.out(pool.token);
      io.out("On each generator host (Python 3.9+, bubblewrap):");
      const commands =
        wheel !== undefined
          ? agentInstallCommands(connection.url, wheel, pool.token)
          : [`LOADMGR_AGENT_TOKEN=${pool.token} loadmgr-locust agent --server ${connection.url}`];
      for (const line of commands) io.out(`  ${line}`);
    });
    return EXIT.ok;
  }
  if ((sub === "rotate-token" || sub === "revoke-token") && id !== undefined) {
    if (sub === "revoke-token") {
      const pool = await client.agentPools.revokeToken.mutate({ id });
      print(pool, () => io.out(`pool ${pool.id}: token revoked; its agents are disconnected`));
    } else {
      const pool = await client.agentPools.rotateToken.mutate({ id });
      print(pool, () => {
        io.out(
          `pool ${pool.id}: new enrollment token (agents on the old one finish the runs they hold, then must start with this one):`,
        );
        io.out(pool.token);
      });
    }
    return EXIT.ok;
  }
  if (sub === "delete" && id !== undefined) {
    const answer = await client.agentPools.delete.mutate({ id });
    print(answer, () => io.out(`pool ${id} deleted, with its agents' records`));
    return EXIT.ok;
  }
  if ((command === "pools" || command === "agents") && sub === "list") {
    const { items } = await client.agentPools.list.query();
    const pools = items.filter((p) => values.pool === undefined || p.id === values.pool);
    if (command === "pools") {
      print(pools, () =>
        table(
          pools.map((p) => ({
            id: p.id,
            name: p.name,
            scope: [p.accountId, p.orgId, p.projectId, p.envId ?? "*"].join("/"),
            token: p.tokenState,
            agents: `${p.agents.filter((a) => a.connected).length}/${p.agents.length} connected`,
            capacity: p.agents.filter((a) => a.connected).reduce((n, a) => n + a.capacity, 0),
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    const agents = pools.flatMap((p) => p.agents.map((a) => ({ pool: p.name, ...a })));
    print(agents, () =>
      table(
        agents.map((a) => ({
          pool: a.pool,
          name: a.name,
          state: a.connected ? "connected" : `last seen ${new Date(a.lastSeenAt).toISOString()}`,
          address: a.inbound ? a.address : `${a.address} (no inbound: relayed)`,
          capacity: a.capacity,
          busy: a.running.reduce((n, r) => n + r.processes, 0),
          labels: Object.entries(a.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
          version: a.version,
          running: a.running.map((r) => `${r.runId} (${r.role}×${r.processes})`).join(" "),
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  return undefined;
}
