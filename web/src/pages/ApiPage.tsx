import type { Identity } from "../../../client/src/index.js";
import { scopeName } from "../ScopeSwitcher.js";
import type { Scope } from "../session.js";
import { Loading, usePageTitle } from "../ui.js";

/** Who is signed in, and how to reach the same server from a terminal, CI, or code. */
export function ApiPage({ identity, scope }: { identity: Identity | null; scope: Scope }) {
  usePageTitle("API and CLI");
  if (identity === null) return <Loading what="who you are" />;
  const url = location.origin;
  const bound = [identity.accountId, identity.orgId, identity.projectId].filter(Boolean).join(" / ");
  const scopeFlags = [
    scope.accountId !== "" ? `--account ${scope.accountId}` : "",
    scope.orgId !== "" ? `--org ${scope.orgId}` : "",
    scope.projectId !== "" ? `--project ${scope.projectId}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const cli = [
    `# once per machine: the token is kept in ~/.config/loadmgr (or set LOADMGR_URL and LOADMGR_TOKEN)`,
    `loadmgr login --url ${url} --token "$LOADMGR_TOKEN"`,
    ``,
    `loadmgr tests list`,
    `loadmgr tests create -f locustfile.py --name "Checkout" --target https://shop.example ${scopeFlags}`.trimEnd(),
    `loadmgr runs list --status Failed`,
  ].join("\n");
  const ci = [
    `# a pipeline step: waits for the run, exits 99 when a threshold is breached, 3 when the run failed`,
    `export LOADMGR_URL=${url}`,
    `export LOADMGR_TOKEN=\${{ secrets.LOADMGR_TOKEN }}`,
    `loadmgr run <test id> --wait --duration 120 \\`,
    `  --threshold "p95<300" --threshold "error_rate<1%"`,
  ].join("\n");
  const curl = [
    `curl -s ${url}/v1/me -H "Authorization: Bearer $LOADMGR_TOKEN"`,
    `curl -s "${url}/v1/runs?status=Running" -H "Authorization: Bearer $LOADMGR_TOKEN"`,
  ].join("\n");
  return (
    <section class="api-page" aria-labelledby="api-title">
      <h1 id="api-title">API and CLI</h1>
      <div class="columns">
        <section class="panel" aria-labelledby="identity-title">
          <h2 id="identity-title">Signed in</h2>
          <dl class="facts">
            <dt>Token</dt>
            <dd data-fact="name">{identity.name}</dd>
            <dt>Role</dt>
            <dd data-fact="role">
              {identity.role}
              <span class="muted">
                {" "}
                ·{" "}
                {identity.role === "viewer"
                  ? "reads only"
                  : identity.role === "editor"
                    ? "reads and writes in its scope"
                    : "sees and does everything"}
              </span>
            </dd>
            <dt>Bound to</dt>
            <dd data-fact="bound">{bound === "" ? "any scope" : bound}</dd>
            <dt>Looking at</dt>
            <dd>{scopeName(scope)}</dd>
            <dt>Server</dt>
            <dd class="mono" data-fact="server">
              {url}
            </dd>
          </dl>
          <p class="muted small">
            The token is kept in this browser only. For CI, ask the operator for a token of its own (
            <code>security.tokens</code> in the server's configuration), scoped to the project, with the editor role.
          </p>
        </section>
        <section class="panel" aria-labelledby="reference-title">
          <h2 id="reference-title">Reference</h2>
          <ul class="links">
            <li>
              <a href="/docs">API documentation</a> <span class="muted">(every operation, try it out)</span>
            </li>
            <li>
              <a href="/openapi.json">OpenAPI (JSON)</a> · <a href="/openapi.yaml">OpenAPI (YAML)</a>{" "}
              <span class="muted">for generated clients</span>
            </li>
            <li>
              <a href="/openapi-ingest.json">The Locust plugin's ingest API</a>
            </li>
            <li>
              <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> ·{" "}
              <span class="muted">/metrics (Prometheus, with its own token)</span>
            </li>
          </ul>
        </section>
      </div>
      <section class="panel" aria-labelledby="cli-title">
        <h2 id="cli-title">The loadmgr CLI</h2>
        <pre class="snippet" data-snippet="cli">
          {cli}
        </pre>
        <h3>In CI</h3>
        <pre class="snippet" data-snippet="ci">
          {ci}
        </pre>
        <h3>Over HTTP</h3>
        <pre class="snippet" data-snippet="curl">
          {curl}
        </pre>
      </section>
    </section>
  );
}
