import { useEffect, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest, Schedule } from "../../client/src/index.js";
import { when, whenIn } from "./format.js";
import { problemOf, type Problem } from "./session.js";
import { ErrorBox, Field } from "./ui.js";

/** The browser's own time zone: what a person setting "every night at 2" most likely means. */
const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/**
 * A test's schedules: each cron with its time zone, next run and newest tick (started, or skipped and
 * why), paused or resumed, deleted; and a form to add one (the test's defaults, its thresholds).
 */
export function SchedulesPanel({ client, test }: { client: LoadManagerClient; test: LoadTest }) {
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [formProblem, setFormProblem] = useState<Problem | null>(null);
  const [cron, setCron] = useState("0 2 * * *");
  const [timezone, setTimezone] = useState(localZone());
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
    client.schedules.create
      .mutate({ id: test.id, cron: cron.trim(), timezone: timezone.trim() })
      .then(reload)
      .catch((error: unknown) => setFormProblem(problemOf(error)));
  };
  const change = (promise: Promise<unknown>): void => {
    promise.then(reload).catch((error: unknown) => setProblem(problemOf(error)));
  };

  return (
    <section class="panel schedules" aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      {problem !== null && <ErrorBox problem={problem} retry={reload} />}
      {schedules !== null && schedules.length > 0 && (
        <ul class="schedule-list">
          {schedules.map((s) => {
            const last = s.ticks[0];
            return (
              <li key={s.id} data-schedule={s.id} class={s.enabled ? "" : "muted"}>
                <code>{s.cron}</code> ({s.timezone}) ·{" "}
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
        <button type="submit">Add schedule</button>
      </form>
      <p class="muted small">
        Each tick runs the latest revision with the test's defaults and thresholds; a tick while the schedule's previous
        run is still active is skipped, and ticks missed while the server was down are not replayed.
      </p>
    </section>
  );
}
