/** The time axis of the dashboard's charts: where its ticks fall and what they read. */

/** Steps between ticks, in seconds: whole seconds at least (a 5 s run once read ":15.000 :15.500"). */
export const TICK_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Clock-time tick labels as the rest of the dashboard writes moments (24-hour, the viewer's zone):
 * 07:30:15 (07:30 for steps of a minute or more), with the date (2026-12-07) under the first tick
 * and under any tick on a new day.
 */
export function clockTicks(ticks: number[], stepSeconds: number): string[] {
  let day = "";
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${stepSeconds < 60 ? `:${pad(d.getSeconds())}` : ""}`;
    const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    const shown = date === day ? time : `${time}\n${date}`;
    day = date;
    return shown;
  });
}
