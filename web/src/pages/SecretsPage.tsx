import { useState } from "preact/hooks";
import type { LoadManagerClient, Secret } from "../../../client/src/index.js";
import { when } from "../format.js";
import { problemOf, type Scope } from "../session.js";
import { ChooseProject, useProjectList } from "../projectList.js";
import { Empty, ErrorBox, Loading, usePageTitle } from "../ui.js";

/**
 * The chosen project's secrets: names, env, who set them and when. A value goes in once and is never
 * shown again, here or anywhere; runs of tests that name a secret get it as an environment variable.
 */
export function SecretsPage({ client, scope }: { client: LoadManagerClient; scope: Scope }) {
  usePageTitle("Secrets");
  const {
    project,
    chosen,
    envId,
    items: secrets,
    problem,
    setProblem,
    reload,
  } = useProjectList<Secret>(scope, (p) => client.secrets.list.query(p));
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [saved, setSaved] = useState<string | null>(null);

  if (!chosen) return <ChooseProject title="Secrets" what="secrets" page="secrets-page" />;

  const put = (event: Event): void => {
    event.preventDefault();
    client.secrets.put
      .mutate({ name, value, ...project, ...(envId !== undefined ? { envId } : {}) })
      .then((secret) => {
        setSaved(`${secret.created ? "Set" : "Replaced"} ${secret.name}`);
        setName("");
        setValue("");
        reload();
      })
      .catch((error: unknown) => setProblem(problemOf(error)));
  };
  const remove = (secret: Secret): void => {
    client.secrets.delete
      .mutate({ name: secret.name, ...project, ...(secret.envId !== null ? { envId: secret.envId } : {}) })
      .then(() => reload())
      .catch((error: unknown) => setProblem(problemOf(error)));
  };

  return (
    <section class="secrets-page" aria-labelledby="secrets-title">
      <h1 id="secrets-title">Secrets</h1>
      <p class="muted">
        {project.accountId} / {project.orgId} / {project.projectId}: values are encrypted, never shown again, and hidden
        as *** in everything a run reports. A test lists the secrets its runs get as environment variables; an env's own
        secret wins over the project's of the same name.
      </p>
      {problem !== null && <ErrorBox problem={problem} retry={() => reload()} />}
      <form class="inline-form" onSubmit={put} aria-label="Set a secret">
        <label>
          <span class="field-label">Name</span>
          <input
            name="name"
            value={name}
            required
            placeholder="SHOP_API_KEY"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          <span class="field-label">Value {envId !== undefined ? `(env ${envId} only)` : "(every env)"}</span>
          <input
            name="value"
            type="password"
            autocomplete="off"
            value={value}
            required
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Set secret</button>
        {saved !== null && (
          <span class="muted" role="status">
            {saved}
          </span>
        )}
      </form>
      {secrets === null ? (
        problem === null && <Loading what="secrets" />
      ) : secrets.length === 0 ? (
        <Empty title="No secrets in this project yet" />
      ) : (
        <div class="table-wrap">
          <table class="secrets">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Env</th>
                <th scope="col">Set by</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span class="visually-hidden">Delete</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {secrets.map((s) => (
                <tr key={`${s.name}/${s.envId ?? ""}`} data-secret={s.name}>
                  <th scope="row" class="mono">
                    {s.name}
                  </th>
                  <td>{s.envId ?? "every env"}</td>
                  <td>{s.updatedBy}</td>
                  <td class="muted">{when(s.updatedAt)}</td>
                  <td>
                    <button type="button" class="secondary" onClick={() => remove(s)}>
                      Delete
                    </button>
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
