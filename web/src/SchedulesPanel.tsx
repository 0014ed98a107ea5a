import { useEffect, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest, Schedule } from "../../client/src/index.js";
import { when, whenIn } from "./format.js";
import { regionsText, thresholdsText } from "./params.js";
import { RunOptionFields } from "./RunOptions.js";
import { defaultRunOptions, RUN_OPTION_FIELDS, runOverrides } from "./runOverrides.js";
import { nestedProblem, problemOf, shownAtField, type Problem } from "./session.js";
import { ErrorBox, Field, FoldingPanel } from "./ui.js";

/** The browser's own time zone: what a person setting "every night at 2" most likely means. */
const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/**
 * A test's schedules: each cron with its time zone, next run and newest tick (started, or skipped and
 * why) and what its runs change from the test's defaults, paused or resumed, deleted; and a form to
 * add one, with the Run form's options (folded away: the test's defaults unless changed).
 */
export function SchedulesPanel({ client, test }: { client: LoadManagerClient; test: LoadTest }) {
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [formProblem, setFormProblem] = useState<Problem | null>(null);
  const [cron, setCron] = useState("0 2 * * *");
  const [timezone, setTimezone] = useState(localZone());
  const [options, setOptions] = useState(() => defaultRunOptions(test));
  const [reloads, setReloads] = useState(0);
  const reload = (): void => setReloads((n) => n + 1);

  useEffect(() => {
    let live = true;
    client.schedules.list
      .query({ id: test.id })
      .then((answer) => live && setSchedules(answer.items))
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
  }, [client, test.id, reloads]);

  const add = (event: Event): void => {
    event.preventDefault();
    setFormProblem(null);
    let asked;
    try {
      asked = runOverrides(test, options);
    } catch (error) {
      setFormProblem(problemOf(error));
      return;
    }
    client.schedules.create
      .mutate({ id: test.id, cron: cron.trim(), timezone: timezone.trim(), ...asked })
      .then(() => {
        setOptions(defaultRunOptions(test));
        reload();
      })
      .catch((error: unknown) => setFormProblem(problemOf(error)));
  };
  // The options' fields show what the API refused in `overrides` (and the thresholds), each at its own.
  const nested = nestedProblem(formProblem, "overrides");
  const optionsProblem =
    formProblem === null || nested === null
      ? null
      : {
          ...nested,
          fields: {
            ...nested.fields,
            ...(formProblem.fields.thresholds !== undefined ? { thresholds: formProblem.fields.thresholds } : {}),
          },
        };
  const overridesRefused = optionsProblem !== null && shownAtField(optionsProblem, RUN_OPTION_FIELDS);
  const change = (promise: Promise<unknown>): void => {
    promise.then(reload).catch((error: unknown) => setProblem(problemOf(error)));
  };

  return (
    <FoldingPanel id="schedules-title" title="Schedules" className="schedules">
      {problem !== null && <ErrorBox problem={problem} retry={reload} />}
      {schedules !== null && schedules.length > 0 && (
        <ul class="schedule-list">
          {schedules.map((s) => {
            const last = s.ticks[0];
            return (
              <li key={s.id} data-schedule={s.id} class={s.enabled ? "" : "muted"}>
                <code>{s.cron}</code> ({s.timezone}) · <span data-runs-with>{runsWith(s)}</span> ·{" "}
                {s.enabled ? <>next run {whenIn(s.nextRunAt, s.timezone)}</> : "paused"}
                {last !== undefined && (
                  <span class="muted" data-last-tick>
                    {" "}
                    · last tick {when(last.at)}:{" "}
                    {last.outcome === "started" && last.runId !== null ? (
                      <a href={`#/runs/${last.runId}`}>started a run</a>
                    ) : (
                      `skipped (${last.reason ?? "no reason"})`
                    )}
                  </span>
                )}{" "}
                <button
                  type="button"
                  class="secondary"
                  onClick={() => change(client.schedules.update.mutate({ id: s.id, enabled: !s.enabled }))}
                >
                  {s.enabled ? "Pause" : "Resume"}
                </button>{" "}
                <button
                  type="button"
                  class="secondary"
                  onClick={() => change(client.schedules.delete.mutate({ id: s.id }))}
                >
                  Delete
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {schedules !== null && schedules.length === 0 && <p class="muted">No schedule: runs start only when asked.</p>}
      <form class="inline-form" onSubmit={add} aria-label="Add a schedule" noValidate>
        <Field
          label="Cron"
          name="cron"
          problem={formProblem}
          hint="minute hour day month weekday: 0 2 * * 1-5 is 2:00 on weekdays"
        >
          <input name="cron" value={cron} onInput={(e) => setCron(e.currentTarget.value)} />
        </Field>
        <Field label="Time zone" name="timezone" problem={formProblem}>
          <input name="timezone" value={timezone} onInput={(e) => setTimezone(e.currentTarget.value)} />
        </Field>
        <details class="schedule-options" open={overridesRefused}>
          <summary>Run options: the test's defaults unless changed here</summary>
          <RunOptionFields test={test} options={options} onChange={setOptions} problem={optionsProblem} />
        </details>
        {formProblem !== null && !shownAtField(formProblem, ["cron", "timezone", "overrides", "thresholds"]) && (
          <p class="form-error" role="alert">
            {formProblem.message}
          </p>
        )}
        <button type="submit">Add schedule</button>
      </form>
      <p class="muted small">
        Each tick runs the latest revision with the test's defaults and thresholds but for what the schedule changes; a
        tick while the schedule's previous run is still active is skipped, and ticks missed while the server was down
        are not replayed.
      </p>
    </FoldingPanel>
  );
}

/** What a schedule's runs change from the test's defaults, in a few words. */
function runsWith(schedule: Schedule): string {
  const o = schedule.overrides;
  const parts = [
    o.stages != null ? `${o.stages.length} stages` : null,
    o.targetUsers !== undefined ? `${o.targetUsers} users` : null,
    o.spawnRate !== undefined ? `${o.spawnRate}/s` : null,
    o.durationSec !== undefined ? `${o.durationSec} s` : null,
    o.targetUrl !== undefined ? `against ${o.targetUrl}` : null,
    o.env !== undefined ? `${Object.keys(o.env).length} parameters` : null,
    o.workers !== undefined ? `${o.workers} workers` : null,
    o.regions !== undefined && o.regions.length > 0 ? `regions ${regionsText(o.regions)}` : null,
    schedule.thresholds !== null
      ? `thresholds ${thresholdsText(schedule.thresholds).replaceAll("\n", ", ") || "none"}`
      : null,
  ].filter((p) => p !== null);
  return parts.length === 0 ? "the test's defaults" : parts.join(", ");
}
