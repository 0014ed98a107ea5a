import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { clientFor, EMPTY_SCOPE, problemOf, savedScope, saveToken, type Problem, type Scope } from "../session.js";
import { Field, usePageTitle } from "../ui.js";

/** Sign-in with a token (kept in this browser), and the scope to look at. */
export function SignIn({
  onSignedIn,
  themeButton,
}: {
  onSignedIn: (token: string, scope: Scope) => void;
  themeButton: ComponentChildren;
}) {
  const [token, setToken] = useState("");
  const [scope, setScope] = useState<Scope>(() => ({ ...EMPTY_SCOPE, ...savedScope() }));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  usePageTitle("Sign in");

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      // A token the server does not know is refused here, not on the next page.
      await clientFor(token.trim()).loadTests.list.query({ limit: 1 });
      saveToken(token.trim());
      onSignedIn(token.trim(), scope);
    } catch (error) {
      const found = problemOf(error);
      setProblem(
        found.code === "UNAUTHORIZED" || found.code === "FORBIDDEN"
          ? { ...found, fields: { token: "The server does not accept this token." } }
          : found,
      );
    } finally {
      setBusy(false);
    }
  }

  const scopeField = (key: keyof Scope, label: string) => (
    <Field label={label} name={key} problem={null} hint="optional">
      <input
        name={key}
        value={scope[key]}
        onInput={(e) => setScope({ ...scope, [key]: e.currentTarget.value.trim() })}
      />
    </Field>
  );

  return (
    <main class="sign-in" id="main">
      <div class="sign-in-top">{themeButton}</div>
      <form class="panel" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Load Manager</h1>
        <p class="muted">
          Sign in with an API token. A local server wrote its admin token to <code>data/admin-token</code>.
        </p>
        <Field label="Token" name="token" problem={problem}>
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </Field>
        <fieldset>
          <legend>Scope</legend>
          <div class="grid-4">
            {scopeField("accountId", "Account")}
            {scopeField("orgId", "Org")}
            {scopeField("projectId", "Project")}
            {scopeField("envId", "Env")}
          </div>
        </fieldset>
        {problem !== null && problem.fields.token === undefined && (
          <p class="form-error" role="alert">
            {problem.message}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
