import { useEffect, useState } from "preact/hooks";
import type { AgentPool, LoadManagerClient, LoadTest } from "../../../client/src/index.js";
import { ScriptEditor } from "../ScriptEditor.js";
import { useLeaveGuard } from "../leaveGuard.js";
import { fromBase64, STARTER_SCRIPT, toBase64 } from "../script.js";
import { paramsText, parseParams, parseStages, parseThresholds, stagesLines, thresholdsText } from "../params.js";
import { problemOf, shownAtField, syntaxErrorLine, type Problem, type Scope } from "../session.js";
import { ErrorBox, Field, Loading, usePageTitle } from "../ui.js";

interface Draft {
  name: string;
  description: string;
  tags: string;
  accountId: string;
  orgId: string;
  projectId: string;
  envId: string;
  /** "": the server's own host. */
  agentPool: string;
  /** One per line: the hosts its scripts may reach beside the target. */
  allowedHosts: string;
  /** "": the pool's free capacity. */
  defaultWorkers: string;
  targetUrl: string;
  defaultUsers: string;
  defaultSpawnRate: string;
  defaultDurationSec: string;
  maxDurationSec: string;
  /** One per line. */
  thresholds: string;
  /** "on" or "": whether a run stops early when its errors pass the limit. */
  autoStop: string;
  autoStopPercent: string;
  autoStopSeconds: string;
  /** "on" or "": a run that regressed against its env's baseline fails its verdict. */
  failOnRegression: string;
  latencyPercent: string;
  latencyMinMs: string;
  errorRatePoints: string;
  /** NAME=value per line. */
  env: string;
  /** Comma-separated names. */
  secrets: string;
  /** SECONDS:USERS:SPAWN_RATE per line (as the CLI's --stage); empty: constant users. */
  defaultStages: string;
}

const draftOf = (t: LoadTest): Draft => ({
  name: t.name,
  description: t.description,
  tags: t.tags.join(", "),
  accountId: t.accountId,
  orgId: t.orgId,
  projectId: t.projectId,
  envId: t.envId ?? "",
  agentPool: t.agentPool ?? "",
  allowedHosts: t.allowedHosts.join("\n"),
  defaultWorkers: t.defaultWorkers !== null ? String(t.defaultWorkers) : "",
  targetUrl: t.targetUrl,
  defaultUsers: String(t.defaultUsers),
  defaultSpawnRate: String(t.defaultSpawnRate),
  defaultDurationSec: String(t.defaultDurationSec),
  maxDurationSec: String(t.maxDurationSec),
  thresholds: thresholdsText(t.thresholds),
  autoStop: t.autoStop !== null ? "on" : "",
  autoStopPercent: String(t.autoStop?.errorRatePercent ?? 90),
  autoStopSeconds: String(t.autoStop?.windowSec ?? 60),
  failOnRegression: t.failOnRegression ? "on" : "",
  latencyPercent: String(t.regressionRule.latencyPercent),
  latencyMinMs: String(t.regressionRule.latencyMinMs),
  errorRatePoints: String(t.regressionRule.errorRatePoints),
  env: paramsText(t.env),
  secrets: t.secrets.join(", "),
  defaultStages: stagesLines(t.defaultStages),
});

/** A number field as typed: the API says what is wrong with it (NaN included). */
const num = (text: string): number => (text.trim() === "" ? Number.NaN : Number(text));

/** Create a test (with its locustfile as revision 1), or a copy of one (`cloneOf`), or edit one's definition. */
export function TestForm({
  client,
  scope,
  testId,
  cloneOf,
}: {
  client: LoadManagerClient;
  scope: Scope;
  testId?: string;
  cloneOf?: string;
}) {
  const editing = testId !== undefined;
  usePageTitle(editing ? "Edit load test" : cloneOf !== undefined ? "Copy of a load test" : "New load test");
  const [draft, setDraft] = useState<Draft | null>(
    editing || cloneOf !== undefined
      ? null
      : {
          name: "",
          description: "",
          tags: "",
          accountId: scope.accountId,
          orgId: scope.orgId,
          projectId: scope.projectId,
          envId: scope.envId,
          agentPool: "",
          allowedHosts: "",
          defaultWorkers: "",
          targetUrl: "",
          defaultUsers: "10",
          defaultSpawnRate: "2",
          defaultDurationSec: "60",
          maxDurationSec: "3600",
          thresholds: "",
          autoStop: "on",
          autoStopPercent: "90",
          autoStopSeconds: "60",
          failOnRegression: "",
          latencyPercent: "10",
          latencyMinMs: "1",
          errorRatePoints: "1",
          env: "",
          secrets: "",
          defaultStages: "",
        },
  );
  const [script, setScript] = useState(STARTER_SCRIPT);
  // What the form started from: leaving with anything else asks first.
  const [initial, setInitial] = useState<{ draft: Draft | null; script: string }>({ draft, script });
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loadProblem, setLoadProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [savedId, setSavedId] = useState<string | null>(null);
  const [pools, setPools] = useState<AgentPool[]>([]);

  useEffect(() => {
    const source = testId ?? cloneOf;
    if (source === undefined) return;
    Promise.all([
      client.loadTests.get.query({ id: source }),
      cloneOf !== undefined ? client.scripts.latest.query({ id: cloneOf }) : undefined,
    ])
      .then(([t, revision]) => {
        const loaded = cloneOf !== undefined ? { ...draftOf(t), name: `${t.name} (copy)` } : draftOf(t);
        const text = revision !== undefined ? fromBase64(revision.scriptContent) : STARTER_SCRIPT;
        setDraft(loaded);
        setScript(text);
        setInitial({ draft: loaded, script: text });
      })
      .catch((error: unknown) => setLoadProblem(problemOf(error)));
  }, [client, testId, cloneOf]);

  // The agent pools of the test's project, to run it on.
  const project = draft === null ? "" : `${draft.accountId}/${draft.orgId}/${draft.projectId}`;
  useEffect(() => {
    if (draft === null || draft.accountId === "" || draft.orgId === "" || draft.projectId === "") return;
    let live = true;
    client.agentPools.list
      .query({ accountId: draft.accountId, orgId: draft.orgId, projectId: draft.projectId })
      .then((answer) => live && setPools(answer.items))
      .catch(() => live && setPools([])); // the field then offers the local runner only
    return () => {
      live = false;
    };
  }, [client, project]);

  const dirty =
    savedId === null &&
    draft !== null &&
    (JSON.stringify(draft) !== JSON.stringify(initial.draft) || (!editing && script !== initial.script));
  useLeaveGuard(dirty, editing ? "changes to the test" : "new test");
  // After the guard let go (it is declared first, so its effect ran first).
  useEffect(() => {
    if (savedId !== null) location.hash = `#/tests/${savedId}`;
  }, [savedId]);

  if (loadProblem !== null) return <ErrorBox problem={loadProblem} />;
  if (draft === null) return <Loading what="the test" />;

  const set = (key: keyof Draft) => (e: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
    setDraft({ ...draft, [key]: e.currentTarget.value });
  const input = (key: keyof Draft) => <input name={key} value={draft[key]} onInput={set(key)} />;
  const numberInput = (key: keyof Draft) => (
    <input name={key} type="number" step="any" value={draft[key]} onInput={set(key)} />
  );

  async function submit(event: Event) {
    event.preventDefault();
    if (draft === null) return;
    setBusy(true);
    setProblem(null);
    const common = {
      name: draft.name,
      description: draft.description,
      tags: draft.tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      envId: draft.envId === "" ? null : draft.envId,
      agentPool: draft.agentPool === "" ? null : draft.agentPool,
      allowedHosts: draft.allowedHosts
        .split("\n")
        .map((h) => h.trim())
        .filter(Boolean),
      defaultWorkers: draft.agentPool === "" || draft.defaultWorkers === "" ? null : num(draft.defaultWorkers),
      targetUrl: draft.targetUrl,
      defaultUsers: num(draft.defaultUsers),
      defaultSpawnRate: num(draft.defaultSpawnRate),
      defaultDurationSec: num(draft.defaultDurationSec),
      maxDurationSec: num(draft.maxDurationSec),
      thresholds: parseThresholds(draft.thresholds),
      autoStop:
        draft.autoStop === "on"
          ? { errorRatePercent: num(draft.autoStopPercent), windowSec: num(draft.autoStopSeconds) }
          : null,
      failOnRegression: draft.failOnRegression === "on",
      regressionRule: {
        latencyPercent: num(draft.latencyPercent),
        latencyMinMs: num(draft.latencyMinMs),
        errorRatePoints: num(draft.errorRatePoints),
      },
      env: parseParams(draft.env),
      secrets: draft.secrets
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      defaultStages: parseStages(draft.defaultStages),
    };
    try {
      const saved =
        testId !== undefined
          ? await client.loadTests.update.mutate({ id: testId, ...common })
          : await client.loadTests.create.mutate({
              ...common,
              envId: common.envId ?? undefined,
              agentPool: common.agentPool ?? undefined,
              defaultWorkers: common.defaultWorkers ?? undefined,
              accountId: draft.accountId,
              orgId: draft.orgId,
              projectId: draft.projectId,
              scriptContent: toBase64(script),
            });
      setSavedId(saved.id);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  const unplaced = problem !== null && !shownAtField(problem, [...Object.keys(draft), "scriptContent"]);

  return (
    <div class="panel form">
      <form id="test-form" onSubmit={(e) => void submit(e)} aria-labelledby="form-title" noValidate>
        <div class="page-head">
          <h1 id="form-title">
            {editing
              ? `Edit ${initial.draft?.name ?? draft.name}`
              : cloneOf !== undefined
                ? "Copy of a load test"
                : "New load test"}
          </h1>
          <a href={editing ? `#/tests/${testId}` : cloneOf !== undefined ? `#/tests/${cloneOf}` : "#/"}>Cancel</a>
        </div>
        {problem !== null && (
          <p class="form-error" role="alert">
            {unplaced ? problem.message : "The test was not saved: see the marked fields."}
          </p>
        )}
        <div class="grid-2">
          <Field label="Name" name="name" problem={problem}>
            {input("name")}
          </Field>
          <Field label="Target URL" name="targetUrl" problem={problem} hint="http:// or https://">
            <input name="targetUrl" type="url" value={draft.targetUrl} onInput={set("targetUrl")} />
          </Field>
        </div>
        <Field label="Description" name="description" problem={problem}>
          <textarea name="description" rows={2} value={draft.description} onInput={set("description")} />
        </Field>
        <Field label="Tags" name="tags" problem={problem} hint="comma-separated">
          {input("tags")}
        </Field>
        <div class="grid-4">
          {(["accountId", "orgId", "projectId"] as const).map((key) => (
            <Field
              key={key}
              label={{ accountId: "Account", orgId: "Org", projectId: "Project" }[key]}
              name={key}
              problem={problem}
            >
              <input name={key} value={draft[key]} onInput={set(key)} disabled={editing} />
            </Field>
          ))}
          <Field label="Env" name="envId" problem={problem} hint="optional">
            {input("envId")}
          </Field>
        </div>
        <div class="grid-4">
          <Field label="Users" name="defaultUsers" problem={problem}>
            {numberInput("defaultUsers")}
          </Field>
          <Field label="Spawn rate (users/s)" name="defaultSpawnRate" problem={problem}>
            {numberInput("defaultSpawnRate")}
          </Field>
          <Field label="Duration (s)" name="defaultDurationSec" problem={problem}>
            {numberInput("defaultDurationSec")}
          </Field>
          <Field label="Max duration (s)" name="maxDurationSec" problem={problem}>
            {numberInput("maxDurationSec")}
          </Field>
        </div>
        <Field
          label="Thresholds"
          name="thresholds"
          problem={problem}
          hint="one per line, judged on every run unless it names its own: p95<300, error_rate<1%, GET /api:p99<500; “p95<300 abort window=10s delay=10s” also stops a run as soon as it breaks"
        >
          <textarea name="thresholds" rows={3} value={draft.thresholds} onInput={set("thresholds")} />
        </Field>
        <Field
          label="Stages"
          name="defaultStages"
          problem={problem}
          hint="one per line: SECONDS:USERS:SPAWN_RATE, as loadmgr's --stage (ramp up, hold, spike, ramp down); empty: the users above, constant"
        >
          <textarea name="defaultStages" rows={3} value={draft.defaultStages} onInput={set("defaultStages")} />
        </Field>
        <div class="grid-2">
          <Field label="Parameters" name="env" problem={problem} hint="NAME=value per line: the script's environment">
            <textarea name="env" rows={2} value={draft.env} onInput={set("env")} />
          </Field>
          <Field
            label="Secrets"
            name="secrets"
            problem={problem}
            hint="names of the project's secrets (the Secrets page), comma-separated"
          >
            {input("secrets")}
          </Field>
        </div>
        <Field
          label="Auto-stop"
          name="autoStop"
          problem={problem}
          hint="a run stopped this way ends Failed, with the reason"
        >
          <span class="auto-stop">
            <span class="inline-check">
              <input
                type="checkbox"
                name="autoStop"
                aria-label="Stop a run early when its errors pass the limit"
                checked={draft.autoStop === "on"}
                onChange={(e) => setDraft({ ...draft, autoStop: e.currentTarget.checked ? "on" : "" })}
              />{" "}
              Stop a run early when more than
            </span>
            <input
              name="autoStopPercent"
              type="number"
              step="any"
              aria-label="Error rate limit (%)"
              disabled={draft.autoStop !== "on"}
              value={draft.autoStopPercent}
              onInput={set("autoStopPercent")}
            />
            % of requests fail over
            <input
              name="autoStopSeconds"
              type="number"
              aria-label="Window (s)"
              disabled={draft.autoStop !== "on"}
              value={draft.autoStopSeconds}
              onInput={set("autoStopSeconds")}
            />
            s
          </span>
        </Field>
        <Field
          label="Baseline"
          name="regressionRule"
          problem={problem}
          hint="each run is compared with its env's baseline run when it ends (set one on a run's page)"
        >
          <span class="auto-stop">
            A regression is p95/p99 more than
            <input
              name="latencyPercent"
              type="number"
              step="any"
              aria-label="Slower by more than (%)"
              value={draft.latencyPercent}
              onInput={set("latencyPercent")}
            />
            % and
            <input
              name="latencyMinMs"
              type="number"
              step="any"
              aria-label="Slower by at least (ms)"
              value={draft.latencyMinMs}
              onInput={set("latencyMinMs")}
            />
            ms slower, or errors up
            <input
              name="errorRatePoints"
              type="number"
              step="any"
              aria-label="Error rate up by (points)"
              value={draft.errorRatePoints}
              onInput={set("errorRatePoints")}
            />
            points.
            <span class="inline-check">
              <input
                type="checkbox"
                name="failOnRegression"
                aria-label="Fail a run's verdict on a regression"
                checked={draft.failOnRegression === "on"}
                onChange={(e) => setDraft({ ...draft, failOnRegression: e.currentTarget.checked ? "on" : "" })}
              />{" "}
              Fail the verdict on one
            </span>
          </span>
        </Field>
        <Field
          label="Runs on"
          name="agentPool"
          problem={problem}
          hint="an agent pool of this project spreads each run over its agents (see Agents)"
        >
          <select
            name="agentPool"
            value={draft.agentPool}
            onChange={(e) => setDraft({ ...draft, agentPool: e.currentTarget.value })}
          >
            <option value="">this server (its local runner)</option>
            {pools.map((p) => (
              <option key={p.id} value={p.id}>
                pool {p.name} ({p.agents.filter((a) => a.connected).length} agents connected)
              </option>
            ))}
            {draft.agentPool !== "" && !pools.some((p) => p.id === draft.agentPool) && (
              <option value={draft.agentPool}>pool {draft.agentPool}</option>
            )}
          </select>
        </Field>
        {draft.agentPool !== "" && (
          <Field
            label="Workers per run"
            name="defaultWorkers"
            problem={problem}
            hint="Locust worker processes over the pool's agents; empty: its free capacity"
          >
            {numberInput("defaultWorkers")}
          </Field>
        )}
        <Field
          label="Other hosts its scripts reach"
          name="allowedHosts"
          problem={problem}
          hint="one per line: host, host:port, an IP, a CIDR or *.domain; a run reaches its target and these, nothing else"
        >
          <textarea name="allowedHosts" rows={2} value={draft.allowedHosts} onInput={set("allowedHosts")} />
        </Field>
      </form>
      {/* Outside the <form>: typing in a contenteditable inside one closes headless Chromium's page. */}
      {!editing && (
        <div class="field" data-field="scriptContent">
          <span class="field-label">Locustfile (revision 1)</span>
          <input
            type="file"
            accept=".py,text/x-python"
            aria-label="Load a locustfile"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file !== undefined) void file.text().then(setScript);
            }}
          />
          <ScriptEditor value={script} onChange={setScript} label="Locustfile" errorLine={syntaxErrorLine(problem)} />
          {problem?.fields.scriptContent !== undefined && (
            <span class="field-error" role="alert">
              {problem.fields.scriptContent}
            </span>
          )}
        </div>
      )}
      <div class="form-actions">
        <button type="submit" form="test-form" disabled={busy}>
          {busy ? "Saving…" : editing ? "Save changes" : "Create test"}
        </button>
      </div>
    </div>
  );
}
