/** Numbers as the dashboard, the run report and the CLI's summary show them: with units, at a fixed precision per kind. No zod. */

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A count: 1,234,567. */
export const count = (n: number): string => grouped.format(n);

/** Requests per second: one decimal. */
export const perSecond = (n: number): string => `${n.toFixed(1)}/s`;

/** A response time in ms: whole ms from 10 ms up, one decimal below; seconds from 10 s up. */
export function ms(n: number): string {
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`;
  return n >= 10 ? `${grouped.format(Math.round(n))} ms` : `${n.toFixed(1)} ms`;
}

/** A percentage: two decimals. */
export const percent = (n: number): string => `${n.toFixed(2)} %`;

/** A duration in seconds: 45 s, 3 m 05 s, 2 h 01 m. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} m`;
}

/** A moment: 2026-11-23 21:04:05 in the viewer's time zone. */
export function when(timestamp: number | null): string {
  if (timestamp === null) return "—";
  const d = new Date(timestamp);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A moment in a named time zone, saying which: 2026-12-07 02:00:00 Europe/Berlin (a schedule's next run). */
export function whenIn(timestamp: number | null, timeZone: string): string {
  if (timestamp === null) return "—";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(timestamp))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone}`;
}

/** A moment in UTC, for what is read elsewhere (a report, a CI summary): 2026-11-23 21:04:05 UTC. */
export function whenUtc(timestamp: number | null): string {
  if (timestamp === null) return "—";
  return `${new Date(timestamp).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A change from a to b, as +12 % (or "new" / "gone"). */
export function change(before: number | null, after: number | null): string {
  if (before === null || after === null) return after === null ? "gone" : "new";
  if (before === 0) return after === 0 ? "±0 %" : "new";
  const diff = (100 * (after - before)) / before;
  return `${diff >= 0 ? "+" : ""}${diff.toFixed(0)} %`;
}

/** A threshold's measured value in its metric's unit: "p95<300" → 312 ms, "error_rate<1%" → 2.50 %, "rps>50" → 48.2/s. */
export function measured(threshold: string, value: number): string {
  const metric = /(?:^|:)\s*([a-z_0-9]+)\s*[<>]/.exec(threshold)?.[1];
  if (metric === "error_rate") return percent(value);
  if (metric === "rps") return perSecond(value);
  return ms(value);
}

/** A size in bytes as people read it: 512 B, 3.4 KiB, 1.2 MiB. */
export function byteSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}
