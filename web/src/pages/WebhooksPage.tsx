import { useEffect, useState } from "preact/hooks";
import type { LoadManagerClient, Webhook, WebhookDelivery, WebhookEvent } from "../../../client/src/index.js";
import { WEBHOOK_EVENTS } from "../../../shared/src/webhookEvents.js";
import { when } from "../format.js";
import { problemOf, type Problem, type Scope } from "../session.js";
import { ChooseProject, useProjectList } from "../projectList.js";
import { Empty, ErrorBox, Field, Loading, usePageTitle } from "../ui.js";

/** A webhook's delivery log: each attempt, newest first. */
function Deliveries({ client, hook }: { client: LoadManagerClient; hook: Webhook }) {
  const [items, setItems] = useState<WebhookDelivery[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    client.webhooks.deliveries
      .query({ id: hook.id })
      .then((answer) => setItems(answer.items))
      .catch((error: unknown) => setProblem(problemOf(error)));
  }, [client, hook.id]);
  if (problem !== null) return <ErrorBox problem={problem} />;
  if (items === null) return <Loading what="deliveries" />;
  if (items.length === 0) return <Empty title="Nothing delivered yet" />;
  return (
    <div class="table-wrap">
      <table class="deliveries" data-webhook={hook.id}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Run</th>
            <th scope="col">Attempt</th>
            <th scope="col">Status</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} class={d.error === null ? "" : "row-failed"}>
              <td class="muted">{when(d.at)}</td>
              <td class="mono">{d.event}</td>
              <td>
                <a href={`#/runs/${d.runId}`}>run</a>
              </td>
              <td class="num">{d.attempt}</td>
              <td class="num">{d.statusCode ?? "—"}</td>
              <td>
                {d.error === null ? (
                  <span class="pass">delivered</span>
                ) : (
                  <span class="fail">
                    {d.error}
                    {d.nextAttemptAt !== null ? ` · again at ${when(d.nextAttemptAt)}` : " · given up"}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The chosen project's webhooks: where runs' starts, ends, breaches and regressions are told, signed.
 * Editors only: a webhook's URL is often a secret itself (Slack's).
 */
export function WebhooksPage({ client, scope }: { client: LoadManagerClient; scope: Scope }) {
  usePageTitle("Webhooks");
  const {
    project,
    chosen,
    envId,
    items: hooks,
    problem,
    setProblem,
    reload,
  } = useProjectList<Webhook>(scope, (p) => client.webhooks.list.query(p));
  const [formProblem, setFormProblem] = useState<Problem | null>(null);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["run.finished", "run.failed", "threshold.breached"]);
  const [format, setFormat] = useState<"json" | "slack">("json");
  const [created, setCreated] = useState<{ id: string; secret: string | null } | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  if (!chosen) return <ChooseProject title="Webhooks" what="webhooks" page="webhooks-page" />;

  const create = (event: Event): void => {
    event.preventDefault();
    setFormProblem(null);
    client.webhooks.create
      .mutate({ url: url.trim(), events, format, ...project, ...(envId !== undefined ? { envId } : {}) })
      .then((hook) => {
        setCreated({ id: hook.id, secret: hook.secret });
        setUrl("");
        reload();
      })
      .catch((error: unknown) => setFormProblem(problemOf(error)));
  };
  const change = (promise: Promise<unknown>): void => {
    promise.then(() => reload()).catch((error: unknown) => setProblem(problemOf(error)));
  };
  const toggle = (name: WebhookEvent, on: boolean): void =>
    setEvents(on ? WEBHOOK_EVENTS.filter((e) => e === name || events.includes(e)) : events.filter((e) => e !== name));

  return (
    <section class="webhooks-page" aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p class="muted">
        {project.accountId} / {project.orgId} / {project.projectId}
        {envId !== undefined ? ` / ${envId}` : ""}: each event is POSTed as JSON (or a Slack message), signed with the
        webhook's secret in <code>X-LoadManager-Signature: sha256=…</code>; a failed delivery is tried again, up to 5
        times.
      </p>
      {problem !== null && <ErrorBox problem={problem} retry={() => reload()} />}
      <form class="panel webhook-form" onSubmit={create} aria-label="Add a webhook" noValidate>
        <Field label="URL" name="url" problem={formProblem} hint="https://hooks.slack.com/services/… or your endpoint">
          <input name="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </Field>
        <Field label="Events" name="events" problem={formProblem}>
          <span class="event-choices">
            {WEBHOOK_EVENTS.map((name) => (
              <span class="inline-check" key={name}>
                <input
                  type="checkbox"
                  name={`event-${name}`}
                  aria-label={name}
                  checked={events.includes(name)}
                  onChange={(e) => toggle(name, e.currentTarget.checked)}
                />{" "}
                <code>{name}</code>
              </span>
            ))}
          </span>
        </Field>
        <Field label="Format" name="format" problem={formProblem}>
          <select
            name="format"
            value={format}
            onChange={(e) => setFormat(e.currentTarget.value === "slack" ? "slack" : "json")}
          >
            <option value="json">JSON</option>
            <option value="slack">Slack message</option>
          </select>
        </Field>
        {formProblem !== null && formProblem.fields.url === undefined && formProblem.fields.events === undefined && (
          <p class="form-error" role="alert">
            {formProblem.message}
          </p>
        )}
        <button type="submit">Add webhook</button>
        {created !== null && (
          <p role="status" class="created-secret">
            Added.{" "}
            {created.secret !== null && (
              <>
                Its signing secret, shown this once: <code data-secret>{created.secret}</code>
              </>
            )}
          </p>
        )}
      </form>
      {hooks === null ? (
        problem === null && <Loading what="webhooks" />
      ) : hooks.length === 0 ? (
        <Empty title="No webhooks in this project yet" />
      ) : (
        <div class="table-wrap">
          <table class="webhooks">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Format</th>
                <th scope="col">Env</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hooks.map((h) => [
                <tr key={h.id} data-webhook={h.id} class={h.enabled ? "" : "muted"}>
                  <th scope="row" class="mono">
                    {h.url}
                  </th>
                  <td>{h.events.join(", ")}</td>
                  <td>{h.format}</td>
                  <td>{h.envId ?? "every env"}</td>
                  <td class="actions">
                    <button type="button" class="secondary" onClick={() => setOpen(open === h.id ? null : h.id)}>
                      {open === h.id ? "Hide deliveries" : "Deliveries"}
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => change(client.webhooks.update.mutate({ id: h.id, enabled: !h.enabled }))}
                    >
                      {h.enabled ? "Disable" : "Enable"}
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => change(client.webhooks.delete.mutate({ id: h.id }))}
                    >
                      Delete
                    </button>
                  </td>
                </tr>,
                open === h.id && (
                  <tr key={`${h.id}-log`}>
                    <td colSpan={5}>
                      <Deliveries client={client} hook={h} />
                    </td>
                  </tr>
                ),
              ])}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
