import { useEffect, useState } from "preact/hooks";
import type { AgentPackage, AgentPool, LoadManagerClient } from "../../../client/src/index.js";
import { agentInstallCommands } from "../../../shared/src/agentInstall.js";
import { when } from "../format.js";
import { problemOf, scopeFilter, type Problem, type Scope } from "../session.js";
import { Empty, ErrorBox, Loading, usePageTitle } from "../ui.js";

/** How often the page asks again: an agent's connected state is judged by the server at each read. */
const REFRESH_MS = 5000;

/** The commands that add a generator host to a pool, from this server alone. */
function joinCommands(wheel: AgentPackage, token?: string): string {
  return [
    `# on the generator host (Python 3.9+, bubblewrap): the agent's wheel from this server, checked by pip`,
    ...agentInstallCommands(location.origin, wheel, token),
  ].join("\n");
}

/** The wheel this server serves, and how a host installs it (a pool's token goes where it says). */
function AddHost({ wheel, token }: { wheel: AgentPackage | Problem | null; token?: string }) {
  if (wheel === null) return <Loading what="the agent's wheel" />;
  if (!("sha256" in wheel)) return <p class="muted">{wheel.message}</p>;
  return (
    <>
      <pre class="snippet" data-testid="join-commands">
        {joinCommands(wheel, token)}
      </pre>
      <p class="muted wheel-facts">
        Wheel <a href={wheel.path}>{wheel.fileName}</a> ({Math.round(wheel.bytes / 1024)} KiB), sha256{" "}
        <code class="hash">{wheel.sha256}</code>
      </p>
    </>
  );
}

/** Agent pools in scope, each with its agents: connected or last seen, capacity, what they run. */
export function AgentsPage({ client, scope }: { client: LoadManagerClient; scope: Scope }) {
  usePageTitle("Agents");
  const [pools, setPools] = useState<AgentPool[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [name, setName] = useState("");
  const [reload, setReload] = useState(0);
  const filter = scopeFilter(scope);
  const [wheel, setWheel] = useState<AgentPackage | Problem | null>(null);
  useEffect(() => {
    client.agentPools.package.query().then(setWheel, (error: unknown) => setWheel(problemOf(error)));
  }, [client]);

  useEffect(() => {
    let live = true;
    const load = (): void => {
      client.agentPools.list
        .query(filter)
        .then((answer) => {
          if (!live) return;
          setPools(answer.items);
          setProblem(null);
        })
        .catch((error: unknown) => live && setProblem(problemOf(error)));
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, filter.accountId, filter.orgId, filter.projectId, reload]);

  const canCreate = scope.accountId !== "" && scope.orgId !== "" && scope.projectId !== "";
  const create = (event: Event): void => {
    event.preventDefault();
    client.agentPools.create
      .mutate({
        name,
        accountId: scope.accountId,
        orgId: scope.orgId,
        projectId: scope.projectId,
        ...(scope.envId !== "" ? { envId: scope.envId } : {}),
      })
      .then((pool) => {
        setCreated({ name: pool.name, token: pool.token });
        setName("");
        setReload((n) => n + 1);
      })
      .catch((error: unknown) => setProblem(problemOf(error)));
  };

  return (
    <section class="agents-page" aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <p class="muted">
        Generator hosts join a pool by dialing out to this server; the server never connects to them. A test that names
        a pool runs its master on one agent and its workers spread over the pool.
      </p>
      {problem !== null && <ErrorBox problem={problem} retry={() => setReload((n) => n + 1)} />}
      {created !== null && (
        <section class="panel" aria-labelledby="token-title" data-testid="new-pool-token">
          <h2 id="token-title">Pool {created.name}: its enrollment token, shown this once</h2>
          <AddHost wheel={wheel} token={created.token} />
          <button type="button" onClick={() => setCreated(null)}>
            I have kept it
          </button>
        </section>
      )}
      {canCreate ? (
        <form class="inline-form" onSubmit={create} aria-label="New agent pool">
          <label>
            New pool in {scope.accountId} / {scope.orgId} / {scope.projectId}
            {scope.envId !== "" ? ` / ${scope.envId}` : ""}{" "}
            <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit">Create pool</button>
        </form>
      ) : (
        <p class="muted">Choose a project in the scope switcher to create a pool there.</p>
      )}
      {created === null && (
        <details class="panel add-host">
          <summary>Add a generator host</summary>
          <AddHost wheel={wheel} />
        </details>
      )}
      {pools === null ? (
        problem === null && <Loading what="agent pools" />
      ) : pools.length === 0 ? (
        <Empty title="No agent pools yet">
          <p>Create one, then start an agent on each generator host with its token.</p>
        </Empty>
      ) : (
        pools.map((pool) => (
          <PoolPanel
            key={pool.id}
            client={client}
            pool={pool}
            onChanged={() => setReload((n) => n + 1)}
            onProblem={setProblem}
          />
        ))
      )}
    </section>
  );
}

function PoolPanel({
  client,
  pool,
  onChanged,
  onProblem,
}: {
  client: LoadManagerClient;
  pool: AgentPool;
  onChanged: () => void;
  onProblem: (problem: Problem) => void;
}) {
  const [asking, setAsking] = useState(false);
  const act = (promise: Promise<unknown>): void => {
    promise.then(onChanged, (error: unknown) => onProblem(problemOf(error)));
  };
  const connected = pool.agents.filter((a) => a.connected);
  const capacity = connected.reduce((n, a) => n + a.capacity, 0);
  const busy = connected.reduce((n, a) => n + a.running.reduce((m, r) => m + r.processes, 0), 0);
  return (
    <section class="panel pool" aria-labelledby={`pool-${pool.id}`} data-pool={pool.name}>
      <h2 id={`pool-${pool.id}`}>
        {pool.name}{" "}
        <span class="muted">
          {[pool.accountId, pool.orgId, pool.projectId, pool.envId ?? "any env"].join(" / ")} · id{" "}
          <code>{pool.id}</code>
        </span>
      </h2>
      <p>
        {connected.length} of {pool.agents.length} agents connected · {busy} of {capacity} slots busy · token{" "}
        {pool.tokenState}
      </p>
      <p class="actions">
        {asking ? (
          <>
            Delete pool {pool.name} and its agents' records? Its agents are refused from now on.{" "}
            <button
              type="button"
              class="danger"
              onClick={() => {
                setAsking(false);
                act(client.agentPools.delete.mutate({ id: pool.id }));
              }}
            >
              Yes, delete it
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setAsking(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" class="secondary" onClick={() => setAsking(true)}>
            Delete pool
          </button>
        )}
      </p>
      {pool.agents.length > 0 && (
        <div class="table-wrap">
          <table class="agents">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">State</th>
                <th scope="col">Address</th>
                <th scope="col">Capacity</th>
                <th scope="col">Labels</th>
                <th scope="col">Version</th>
                <th scope="col">Running</th>
              </tr>
            </thead>
            <tbody>
              {pool.agents.map((agent) => (
                <tr key={agent.id} data-agent={agent.name}>
                  <th scope="row">{agent.name}</th>
                  <td data-cell="state">
                    {agent.connected ? (
                      <span class="badge badge-finished">connected</span>
                    ) : (
                      <>
                        <span class="badge badge-none">last seen {when(agent.lastSeenAt)}</span>{" "}
                        <button
                          type="button"
                          class="secondary small"
                          onClick={() => act(client.agentPools.forgetAgent.mutate({ id: pool.id, agentId: agent.id }))}
                        >
                          Forget
                        </button>
                      </>
                    )}
                  </td>
                  <td>{agent.inbound ? agent.address : `${agent.address} (no inbound: relayed)`}</td>
                  <td>
                    {agent.running.reduce((n, r) => n + r.processes, 0)} / {agent.capacity}
                  </td>
                  <td>
                    {Object.entries(agent.labels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(", ")}
                  </td>
                  <td>{agent.version}</td>
                  <td>
                    {agent.running.map((r) => (
                      <a key={`${r.runId}/${r.role}`} href={`#/runs/${r.runId}`} class="run-chip">
                        {r.role} ×{r.processes}
                      </a>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
