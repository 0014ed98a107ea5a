import { formats } from "@loadmgr/shared";

const { duration } = formats;

export interface SvgSeries {
  label: string;
  color: string;
  /** One per time; null leaves a gap. */
  values: (number | null)[];
}

export interface SvgChart {
  title: string;
  /** Unix ms of each point. */
  times: number[];
  /** Where the x axis counts from (the run's start); the first time when null. */
  start: number | null;
  series: SvgSeries[];
  /** The y axis' unit: "ms", "req/s", "users". */
  unit: string;
  width?: number;
  height?: number;
}

/** Text and attribute values made safe for HTML and SVG. */
export const escapeHtml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The smallest of 1, 2, 5 × 10^n at or above `value` (1 for nothing). */
function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * A line chart as one inline SVG element: axes with five gridlines, a line per series (broken where
 * a value is missing), a legend. Nothing loads from anywhere; every label is escaped.
 */
export function lineChartSvg(chart: SvgChart): string {
  const width = chart.width ?? 860;
  const height = chart.height ?? 260;
  const left = 64;
  const right = 16;
  const top = 16;
  const bottom = 56;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const start = chart.start ?? chart.times[0] ?? 0;
  const xs = chart.times.map((t) => Math.max(0, (t - start) / 1000));
  const xMax = Math.max(1, ...xs);
  const yMax = niceCeil(Math.max(0, ...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x = (seconds: number): number => round1(left + (seconds / xMax) * plotW);
  const y = (value: number): number => round1(top + plotH - (value / yMax) * plotH);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const value = (yMax * i) / 5;
    const at = y(value);
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${at}" y2="${at}" class="grid"/>`,
      `<text x="${left - 6}" y="${at + 4}" text-anchor="end">${escapeHtml(String(round1(value)))}</text>`,
    );
  }
  // Under 20 s, ticks fall between whole seconds: tenths keep them apart.
  const tick = (seconds: number): string => (xMax < 20 ? `${seconds.toFixed(1)} s` : duration(seconds));
  for (let i = 0; i <= 4; i++) {
    const seconds = (xMax * i) / 4;
    parts.push(
      `<text x="${x(seconds)}" y="${top + plotH + 18}" text-anchor="middle">${escapeHtml(tick(seconds))}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${escapeHtml(chart.unit)}</text>`,
  );
  for (const series of chart.series) {
    let run: string[] = [];
    const flush = (): void => {
      if (run.length === 1) {
        const [px, py] = run[0]?.split(",") ?? ["0", "0"];
        parts.push(`<circle cx="${px}" cy="${py}" r="2" fill="${series.color}"/>`);
      } else if (run.length > 1) {
        parts.push(
          `<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${run.join(" ")}" data-series="${escapeHtml(series.label)}"/>`,
        );
      }
      run = [];
    };
    series.values.forEach((value, i) => {
      const seconds = xs[i];
      if (value === null || seconds === undefined) flush();
      else run.push(`${x(seconds)},${y(value)}`);
    });
    flush();
  }
  let legendX = left;
  for (const series of chart.series) {
    parts.push(
      `<rect x="${legendX}" y="${height - 18}" width="10" height="10" fill="${series.color}"/>`,
      `<text x="${legendX + 14}" y="${height - 9}">${escapeHtml(series.label)}</text>`,
    );
    legendX += 24 + series.label.length * 7;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(chart.title)}" class="chart">` +
    `<title>${escapeHtml(chart.title)}</title>` +
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" class="axis"/>` +
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" class="axis"/>` +
    parts.join("") +
    `</svg>`
  );
}
