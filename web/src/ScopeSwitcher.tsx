import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Identity, LoadManagerClient, ScopeCount } from "../../client/src/index.js";
import { SCOPE_ID_MAX, SCOPE_ID_PATTERN, SCOPE_ID_RULE } from "../../shared/src/scopeId.js";
import { count } from "./format.js";
import { EMPTY_SCOPE, problemOf, type Problem, type Scope } from "./session.js";

const LEVELS: [keyof Scope, string][] = [
  ["accountId", "Account"],
  ["orgId", "Org"],
  ["projectId", "Project"],
  ["envId", "Env"],
];

/** "acme / web / shop · prod", or "Everything" when no level is chosen. */
export function scopeName(scope: Scope): string {
  const path = [scope.accountId, scope.orgId, scope.projectId].filter(Boolean).join(" / ");
  const env = scope.envId !== "" ? ` · ${scope.envId}` : "";
  return path === "" && env === "" ? "Everything" : `${path}${env}`;
}

const sum = (scopes: ScopeCount[], key: "tests" | "runs") => scopes.reduce((n, s) => n + s[key], 0);
const counts = (scopes: ScopeCount[]) => `${count(sum(scopes, "tests"))} tests · ${count(sum(scopes, "runs"))} runs`;

/** Why a typed id is refused, or null: the API's own rule (shared/src/scopeId.ts). */
function idProblem(value: string): string | null {
  if (value === "") return "must not be empty";
  if (value.length > SCOPE_ID_MAX) return `at most ${SCOPE_ID_MAX} characters`;
  return SCOPE_ID_PATTERN.test(value) ? null : SCOPE_ID_RULE;
}

/** Opens a project that holds no tests yet: named explicitly, checked as the API would. */
function NewProject({ scope, onOpen }: { scope: Scope; onOpen: (scope: Scope) => void }) {
  const [draft, setDraft] = useState({ accountId: scope.accountId, orgId: scope.orgId, projectId: "" });
  const [shown, setShown] = useState(false);
  const problems = Object.fromEntries(
    (["accountId", "orgId", "projectId"] as const).map((key) => [key, idProblem(draft[key])]),
  );
  return (
    <form
      class="new-project"
      aria-labelledby="new-project-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setShown(true);
        if (Object.values(problems).every((p) => p === null)) onOpen({ ...EMPTY_SCOPE, ...draft });
      }}
    >
      <h3 id="new-project-title">New project</h3>
      <div class="new-project-fields">
        {(["accountId", "orgId", "projectId"] as const).map((key) => {
          const problem = shown ? problems[key] : null;
          const label = { accountId: "Account", orgId: "Org", projectId: "Project" }[key];
          return (
            <label key={key} class={`field${problem !== null ? " field-invalid" : ""}`} data-field={`new-${key}`}>
              <span class="field-label">{label}</span>
              <input
                name={`new-${key}`}
                value={draft[key]}
                onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value.trim() })}
              />
              {problem !== null && (
                <span class="field-error" role="alert">
                  {problem}
                </span>
              )}
            </label>
          );
        })}
      </div>
      <button type="submit" class="secondary">
        Open the new project
      </button>
    </form>
  );
}

/**
 * The header's scope: what the lists show, labelled level by level, and a menu of the accounts, orgs,
 * projects and envs the token can see (with their counts), or a new project named on purpose.
 */
export function ScopeSwitcher({
  client,
  scope,
  identity,
  onChange,
}: {
  client: LoadManagerClient;
  scope: Scope;
  identity: Identity | null;
  onChange: (scope: Scope) => void;
}) {
  const [open, setOpen] = useState(false);
  const [scopes, setScopes] = useState<ScopeCount[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const panel = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    let live = true;
    client.account.scopes
      .query()
      .then((answer) => {
        if (!live) return;
        setScopes(answer.items);
        setProblem(null);
      })
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    const close = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setOpen(false);
      toggle.current?.focus();
    };
    window.addEventListener("keydown", close);
    return () => {
      live = false;
      window.removeEventListener("keydown", close);
    };
  }, [client, open]);

  // Once listed, the focus goes to the scope shown now (or the first choice), before the list is
  // painted: a keystroke right after opening goes to the list, never to the page behind it.
  useLayoutEffect(() => {
    if (!open || scopes === null) return;
    const choices = panel.current?.querySelectorAll<HTMLElement>(".scope-choice");
    const current = panel.current?.querySelector<HTMLElement>('.scope-choice[aria-current="true"]');
    (current ?? choices?.[0])?.focus();
  }, [open, scopes]);

  const pick = (next: Scope) => {
    onChange(next);
    setOpen(false);
    toggle.current?.focus();
  };
  const choice = (next: Scope, label: string, within: ScopeCount[], level: string) => {
    const current = LEVELS.every(([key]) => next[key] === scope[key]);
    return (
      <button
        type="button"
        class={`scope-choice scope-${level}`}
        aria-current={current ? "true" : undefined}
        onClick={() => pick(next)}
      >
        <span>{label}</span>
        <span class="muted small">{counts(within)}</span>
      </button>
    );
  };

  const tree = scopes ?? [];
  const distinct = <T,>(values: T[]) => [...new Set(values)];
  return (
    <div class="scope-switcher">
      <button
        ref={toggle}
        type="button"
        class="secondary scope-button"
        aria-expanded={open}
        aria-controls="scope-panel"
        aria-label={`Scope: ${scopeName(scope)}. Change scope`}
        onClick={() => setOpen(!open)}
      >
        {LEVELS.map(([key, label]) => (
          <span key={key} class={`scope-level${scope[key] === "" ? " scope-any" : ""}`} data-level={key}>
            <span class="scope-level-label">{label}</span> {scope[key] === "" ? "any" : scope[key]}
          </span>
        ))}
        {LEVELS.every(([key]) => scope[key] === "") && <span class="scope-everything">Scope: everything</span>}
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div id="scope-panel" ref={panel} class="scope-panel" role="dialog" aria-label="Choose a scope">
          {identity !== null && (
            <p class="muted small">
              Signed in as <strong>{identity.name}</strong> ({identity.role})
              {identity.accountId !== undefined &&
                `, bound to ${[identity.accountId, identity.orgId, identity.projectId].filter(Boolean).join(" / ")}`}
            </p>
          )}
          {problem !== null ? (
            <p class="form-error" role="alert">
              {problem.message}
            </p>
          ) : scopes === null ? (
            <p class="muted">Loading scopes…</p>
          ) : (
            <div class="scope-tree">
              {choice(EMPTY_SCOPE, "Everything", tree, "all")}
              {distinct(tree.map((s) => s.accountId)).map((accountId) => {
                const inAccount = tree.filter((s) => s.accountId === accountId);
                return (
                  <div key={accountId} class="scope-group">
                    {choice({ ...EMPTY_SCOPE, accountId }, accountId, inAccount, "account")}
                    {distinct(inAccount.map((s) => s.orgId)).map((orgId) => {
                      const inOrg = inAccount.filter((s) => s.orgId === orgId);
                      return (
                        <div key={orgId} class="scope-group">
                          {choice({ ...EMPTY_SCOPE, accountId, orgId }, `${accountId} / ${orgId}`, inOrg, "org")}
                          {distinct(inOrg.map((s) => s.projectId)).map((projectId) => {
                            const inProject = inOrg.filter((s) => s.projectId === projectId);
                            const project = { ...EMPTY_SCOPE, accountId, orgId, projectId };
                            return (
                              <div key={projectId} class="scope-group">
                                {choice(project, `${accountId} / ${orgId} / ${projectId}`, inProject, "project")}
                                <div class="scope-envs">
                                  {inProject
                                    .filter((s) => s.envId !== null)
                                    .map((s) =>
                                      choice({ ...project, envId: s.envId ?? "" }, `env ${s.envId ?? ""}`, [s], "env"),
                                    )}
                                </div>
                              </div>
                            );
                          })}
                        </div>
                      );
                    })}
                  </div>
                );
              })}
              {tree.length === 0 && <p class="muted">No tests anywhere in reach yet.</p>}
            </div>
          )}
          <NewProject scope={scope} onOpen={pick} />
        </div>
      )}
    </div>
  );
}
