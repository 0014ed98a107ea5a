import type { LoadTest } from "../../client/src/index.js";
import { duration } from "./format.js";
import { stagesText } from "./params.js";
import type { RunOptions } from "./runOverrides.js";
import type { Problem } from "./session.js";
import { Field } from "./ui.js";

/** The fields of a run's options (the Run form's and a schedule's), each with the API's message for it. */
export function RunOptionFields({
  test,
  options,
  onChange,
  problem,
}: {
  test: LoadTest;
  options: RunOptions;
  onChange: (options: RunOptions) => void;
  problem: Problem | null;
}) {
  const set =
    <K extends keyof RunOptions>(key: K) =>
    (value: RunOptions[K]): void =>
      onChange({ ...options, [key]: value });
  return (
    <>
      {test.defaultStages !== null && (
        <label class="check">
          <input
            type="checkbox"
            name="useStages"
            checked={options.useStages}
            onChange={(e) => set("useStages")(e.currentTarget.checked)}
          />{" "}
          The test's {test.defaultStages.length} stages ({stagesText(test.defaultStages)})
        </label>
      )}
      {!options.useStages && (
        <div class="grid-3">
          <Field label="Users" name="targetUsers" problem={problem}>
            <input
              name="targetUsers"
              type="number"
              value={options.users}
              onInput={(e) => set("users")(e.currentTarget.value)}
            />
          </Field>
          <Field label="Spawn rate (users/s)" name="spawnRate" problem={problem}>
            <input
              name="spawnRate"
              type="number"
              step="any"
              value={options.spawnRate}
              onInput={(e) => set("spawnRate")(e.currentTarget.value)}
            />
          </Field>
          <Field
            label="Duration (s)"
            name="durationSec"
            problem={problem}
            hint={`at most ${duration(test.maxDurationSec)}`}
          >
            <input
              name="durationSec"
              type="number"
              value={options.durationSec}
              onInput={(e) => set("durationSec")(e.currentTarget.value)}
            />
          </Field>
        </div>
      )}
      <Field label="Target" name="targetUrl" problem={problem} hint="the test's, unless changed here">
        <input name="targetUrl" value={options.targetUrl} onInput={(e) => set("targetUrl")(e.currentTarget.value)} />
      </Field>
      <Field label="Parameters" name="env" problem={problem} hint="NAME=value, one per line: the script's environment">
        <textarea name="env" rows={2} value={options.params} onInput={(e) => set("params")(e.currentTarget.value)} />
      </Field>
      {test.agentPool !== null && (
        <Field
          label="Workers"
          name="workers"
          problem={problem}
          hint="Locust worker processes over the pool's agents; empty: the pool's free capacity"
        >
          <input
            name="workers"
            type="number"
            value={options.workers}
            onInput={(e) => set("workers")(e.currentTarget.value)}
          />
        </Field>
      )}
      {test.agentPool !== null && (
        <Field
          label="Regions"
          name="regions"
          problem={problem}
          hint="e.g. eu=60, us=40: the workers split over agents labelled region=eu and region=us; empty: one region"
        >
          <input name="regions" value={options.regions} onInput={(e) => set("regions")(e.currentTarget.value)} />
        </Field>
      )}
      <Field
        label="Thresholds"
        name="thresholds"
        problem={problem}
        hint={
          test.thresholds.length > 0
            ? "the test's thresholds, unless changed here"
            : "one per line, e.g. p95<300, error_rate<1%, GET /api:p99<500; add “abort window=10s” to stop the run on a breach"
        }
      >
        <textarea
          name="thresholds"
          rows={2}
          value={options.thresholds}
          onInput={(e) => set("thresholds")(e.currentTarget.value)}
        />
      </Field>
    </>
  );
}
