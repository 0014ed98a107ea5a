import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { clockTicks, TICK_STEPS } from "./chartTicks.js";

/** The current theme, so charts redraw in its colours. */
export const ThemeContext = createContext<"light" | "dark">("light");

export interface Series {
  label: string;
  /** A CSS colour. */
  color: string;
  values: (number | null)[];
  /** Which y axis: "left" (default) or "right". */
  axis?: "left" | "right";
  unit: string;
}

/** Each figure's colour, the same on every chart. */
export const COLORS = {
  users: "#8a63d2",
  rps: "#4f7cff",
  errors: "#d64545",
  p50: "#2e9d6b",
  p95: "#e0a100",
  p99: "#d64545",
  target: "#9aa0ab",
} as const;

type Percentiles = Record<"p50ResponseMs" | "p95ResponseMs" | "p99ResponseMs", number | null>;

/** The p50, p95 and p99 lines of rows that carry them: a run's chart points, a test's runs. */
export const percentileSeries = (rows: Percentiles[]): Series[] =>
  (["p50", "p95", "p99"] as const).map((p) => ({
    label: p,
    color: COLORS[p],
    values: rows.map((row) => row[`${p}ResponseMs`]),
    unit: "ms",
  }));

interface Props {
  title: string;
  /** Unix ms of each point; with `elapsed`, seconds since the start. */
  times: number[];
  series: Series[];
  height?: number;
  /** The x axis counts seconds from the start (two runs overlaid), not clock time. */
  elapsed?: boolean;
  /** Vertical lines with a label (a run's stages, a test's baseline), at Unix ms. */
  marks?: ChartMark[];
  /** What the marks are, for the list under the chart. */
  marksLabel?: string;
}

export interface ChartMark {
  at: number;
  label: string;
}

/** A time chart (uPlot): redraws its data in place as points arrive, and follows its container's width. */
export function TimeChart({
  title,
  times,
  series,
  height = 240,
  elapsed = false,
  marks = [],
  marksLabel = "Stages",
}: Props) {
  const xs = (values: number[]) => (elapsed ? values : values.map((t) => t / 1000));
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useContext(ThemeContext);
  /** The gridline colour the chart was drawn with (tests check it follows the theme). */
  const [gridColor, setGridColor] = useState("");
  const shape = series.map((s) => `${s.label}:${s.axis ?? "left"}`).join(",");
  // Read by the draw hook, so new marks show on the next redraw without rebuilding the chart.
  const markRef = useRef(marks);
  markRef.current = marks;

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const units = (side: "left" | "right") =>
      [...new Set(series.filter((s) => (s.axis ?? "left") === side).map((s) => s.unit))].join(", ");
    // A canvas takes colours, not CSS variables: the theme's, read now.
    const css = getComputedStyle(document.documentElement);
    const muted = css.getPropertyValue("--muted").trim();
    const grid = css.getPropertyValue("--grid").trim();
    setGridColor(grid);
    /** The time axis's labels as last drawn (a canvas holds no text: the page states them for tests and readers). */
    let xLabels: string[] = [];
    const axisStyle = { stroke: muted, grid: { stroke: grid }, ticks: { stroke: grid } };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      cursor: { drag: { x: true, y: false } },
      // The legend names the series; values show in it only while the cursor is on the chart.
      legend: { live: false },
      scales: { x: { time: !elapsed }, left: { auto: true }, right: { auto: true } },
      axes: [
        {
          ...axisStyle,
          incrs: TICK_STEPS,
          // Room for a label of eight figures and a gap, so that they never overlap on a phone.
          space: 72,
          ...(elapsed ? { label: "seconds since the start" } : {}),
          values: (_: uPlot, ticks: number[], _axis: number, _space: number, step: number) => {
            xLabels = elapsed ? ticks.map((t) => `${t} s`) : clockTicks(ticks, step);
            return xLabels;
          },
        },
        { ...axisStyle, scale: "left", label: units("left"), size: 60 },
        ...(series.some((s) => s.axis === "right")
          ? [{ ...axisStyle, scale: "right", side: 1 as const, label: units("right"), size: 60, grid: { show: false } }]
          : []),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            element.dataset.xLabels = xLabels.join(" | ").replaceAll("\n", " ");
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = muted;
            ctx.fillStyle = muted;
            ctx.setLineDash([4, 4]);
            ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
            // A label that would run into the one before is left out (the list under the chart has them all).
            let labelEnd = Number.NEGATIVE_INFINITY;
            for (const mark of markRef.current) {
              const x = u.valToPos(elapsed ? mark.at : mark.at / 1000, "x", true);
              if (!Number.isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              const textX = x + 4 * devicePixelRatio;
              const width = ctx.measureText(mark.label).width;
              if (textX < labelEnd || textX + width > u.bbox.left + u.bbox.width) continue;
              ctx.fillText(mark.label, textX, u.bbox.top + 12 * devicePixelRatio);
              labelEnd = textX + width + 6 * devicePixelRatio;
            }
            ctx.restore();
          },
        ],
      },
      series: [
        {},
        ...series.map((s) => ({
          label: `${s.label} (${s.unit})`,
          stroke: s.color,
          width: 2,
          scale: s.axis ?? "left",
          spanGaps: true,
          points: { show: false },
        })),
      ],
    };
    plot.current = new uPlot(options, [xs(times), ...series.map((s) => s.values)], element);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(element.clientWidth, 200), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series or the theme changes; new data goes through setData below.
  }, [shape, height, theme, elapsed]);

  useEffect(() => {
    plot.current?.setData([xs(times), ...series.map((s) => s.values)]);
  }, [times, series, marks]);

  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-plot" data-points={times.length} data-grid={gridColor} />
      {marks.length > 0 && (
        <ol class="chart-marks muted" aria-label={marksLabel}>
          {marks.map((m) => (
            <li key={`${m.at}-${m.label}`}>{m.label}</li>
          ))}
        </ol>
      )}
    </figure>
  );
}
