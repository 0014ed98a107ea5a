import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { LoadTestRun, RunOutcome, RunStatus } from "../../client/src/index.js";
import { runWarning } from "../../shared/src/runStatus.js";
import type { Problem } from "./session.js";

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorBox({ problem, retry }: { problem: Problem; retry?: () => void }) {
  return (
    <div class="error-box" role="alert">
      <strong>{problem.code === "UNREACHABLE" ? "Cannot reach the server" : "Something went wrong"}</strong>
      <p>{problem.message}</p>
      {retry !== undefined && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{title}</strong>
      {children !== undefined && <p>{children}</p>}
    </div>
  );
}

export function StatusBadge({ status }: { status: RunStatus | null }) {
  if (status === null) return <span class="badge badge-none">never run</span>;
  return <span class={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

/**
 * A run's status, shown as a failure when the run ended without a success (no request made, all or
 * most failed) although its status is not Failed; the warning says why.
 */
export function RunBadge({ run }: { run: Pick<LoadTestRun, "status" | "results"> }) {
  const warning = runWarning(run);
  if (warning === null) return <StatusBadge status={run.status} />;
  return (
    <span class="badge badge-failed badge-warning" title={warning} data-warning={warning}>
      ⚠ {run.status}
      <span class="visually-hidden">: {warning}</span>
    </span>
  );
}

const OUTCOME_TEXT: Record<RunOutcome, string> = {
  passed: "✓ passed",
  failed: "✗ failed",
  aborted: "✗ aborted",
  regressed: "▲ regressed",
  "no-success": "✗ no success",
};

/** The run's outcome, decided once by the server (the same as in the API, the report and the CLI); a dash until it ended. */
export function Verdict({ run }: { run: { outcome?: RunOutcome | null } }) {
  const outcome = run.outcome ?? null;
  if (outcome === null) return <span class="muted">—</span>;
  return (
    <span class={outcome === "passed" ? "pass" : "fail"} data-outcome={outcome}>
      {OUTCOME_TEXT[outcome]}
    </span>
  );
}

/** Marks the run its test's baseline in its env. */
export function BaselineBadge({ run }: { run: Pick<LoadTestRun, "baseline" | "envId"> }) {
  if (!run.baseline) return null;
  return (
    <span
      class="badge badge-baseline"
      title={`later runs${run.envId !== null ? ` in ${run.envId}` : ""} are compared with it`}
    >
      baseline
    </span>
  );
}

export function Card({ label, value, hint, tone }: { label: string; value: string; hint?: string; tone?: "bad" }) {
  return (
    <div class={`card${tone === "bad" ? " card-bad" : ""}`} data-card={label}>
      <span class="card-label">{label}</span>
      <span class="card-value">{value}</span>
      {hint !== undefined && <span class="card-hint">{hint}</span>}
    </div>
  );
}

/** A field with its label and the API's message for it, if it refused the value. */
export function Field({
  label,
  name,
  problem,
  hint,
  children,
}: {
  label: string;
  name: string;
  problem: Problem | null;
  hint?: string;
  children: ComponentChildren;
}) {
  const message = problem?.fields[name];
  return (
    <label class={`field${message !== undefined ? " field-invalid" : ""}`} data-field={name}>
      <span class="field-label">{label}</span>
      {children}
      {message !== undefined ? (
        <span class="field-error" role="alert">
          {message}
        </span>
      ) : (
        hint !== undefined && <span class="field-hint">{hint}</span>
      )}
    </label>
  );
}

/** A small line of values (oldest first), scaled to its own range. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  if (values.length < 2) return <span class="sparkline-none">—</span>;
  const width = 96;
  const height = 24;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const points = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * width).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`,
    )
    .join(" ");
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/** Names the browser tab after the page ("<title> · Load Manager"); undefined while it loads. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title === undefined ? "Load Manager" : `${title} · Load Manager`;
  }, [title]);
}

/** A phone's width: a page's secondary panels start folded there (their heading stays, a tap opens them). */
const PHONE = "(max-width: 600px)";

/** A panel under its heading that starts folded on a phone and open elsewhere. */
export function FoldingPanel({
  id,
  title,
  className = "",
  children,
}: {
  id: string;
  title: ComponentChildren;
  className?: string;
  children: ComponentChildren;
}) {
  const [open] = useState(() => !matchMedia(PHONE).matches);
  return (
    <details class={`panel folding ${className}`.trim()} open={open} aria-labelledby={id}>
      <summary>
        <h2 id={id}>{title}</h2>
      </summary>
      {children}
    </details>
  );
}
