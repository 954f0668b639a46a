// @ts-check
// A queue's plots, drawn with uPlot (loaded by the page before the modules, as `uPlot`).

/** @typedef {import("../src/consoleApi.js").ConsoleSeries} ConsoleSeries */
/** @typedef {import("uplot").AlignedData} AlignedData */

/** @type {typeof import("uplot")} */
const UPlot = /** @type {any} */ (globalThis).uPlot;

/** How many minutes the plots show, up to now. */
export const WINDOW_MINUTES = 15;

/**
 * @typedef {object} PlotSpec
 * @property {string} key
 * @property {string} title
 * @property {string} [empty] What an empty plot says (default "no data yet").
 * @property {[key: string, label: string, colour: string][]} series Series key in the metrics, label, colour.
 * @property {boolean} [stepped] Drawn as steps (a count that changes at instants).
 * @property {boolean} [whole] Whole-number values: the y axis ticks whole numbers only.
 */

/** The plots of a queue. @type {PlotSpec[]} */
export const PLOTS = [
  {
    key: "depth",
    title: "Messages",
    series: [
      ["visible", "visible", "#2458c6"],
      ["inFlight", "in flight", "#8a5cd1"],
      ["dlq", "DLQ", "#b3261e"],
    ],
  },
  {
    key: "loops",
    title: "Dedicated loops",
    series: [["loops", "loops", "#1d7a46"]],
    stepped: true,
    whole: true,
  },
  {
    key: "rate",
    title: "Processed / failed per second",
    empty: "no poller metrics yet",
    series: [
      ["succeeded", "processed/s", "#1d7a46"],
      ["failed", "failed/s", "#b3261e"],
    ],
  },
  {
    key: "latency",
    title: "Handler duration (ms)",
    empty: "no poller metrics yet",
    series: [
      ["p50", "p50", "#2458c6"],
      ["p99", "p99", "#a45c00"],
    ],
  },
];

/**
 * Aligns series of different timestamps on one x axis (seconds), null where a series has no point.
 * @param {(ConsoleSeries[string] | undefined)[]} seriesList
 * @returns {AlignedData}
 */
export function align(seriesList) {
  const xs = [...new Set(seriesList.flatMap((s) => (s ? s.t : [])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = seriesList.map((s) => {
    /** @type {(number | null)[]} */
    const column = new Array(xs.length).fill(null);
    if (s) {
      for (let i = 0; i < s.t.length; i++)
        column[index.get(/** @type {number} */ (s.t[i])) ?? 0] = s.v[i] ?? null;
    }
    return column;
  });
  return [xs.map((x) => x / 1000), ...ys];
}

/** 1234 → "1.2k": axis labels stay short enough for a laptop-width plot. */
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

/** A plot's width in its box. @param {HTMLElement} box */
export const plotWidth = (box) => Math.max(200, box.clientWidth - 12);

/** Plot height, pixels. */
export const PLOT_HEIGHT = 130;

/**
 * A new, empty plot in `box`.
 * @param {HTMLElement} box
 * @param {PlotSpec} spec
 */
export function makePlot(box, spec) {
  const stepped = spec.stepped ? UPlot.paths.stepped?.({ align: 1 }) : undefined;
  return new UPlot(
    {
      width: plotWidth(box),
      height: PLOT_HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        // The last 15 minutes up to now: loop counts are read more often than metrics are.
        x: { time: true, range: () => [(Date.now() - WINDOW_MINUTES * 60_000) / 1000, Date.now() / 1000] },
        // Counts and rates start at zero, so a flat line near the bottom reads as "little".
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: "#5d6875", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#dfe3e8" }, size: 28 },
        {
          stroke: "#5d6875",
          grid: { stroke: "#eef0f3" },
          ticks: { stroke: "#dfe3e8" },
          size: 44,
          // A count (loops) has whole-number ticks only.
          ...(spec.whole ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
          values: (_u, splits) => splits.map((v) => compact.format(v)),
        },
      ],
      series: [
        {},
        ...spec.series.map(([, label, colour]) => ({
          label,
          stroke: colour,
          width: 1.5,
          spanGaps: true,
          // A series that has only begun (a few points at the right edge) shows its points.
          points: {
            /** @type {(u: import("uplot"), si: number) => boolean} */
            show: (u, si) => (u.data[si] ?? []).filter((v) => v !== null).length < 3,
          },
          ...(stepped ? { paths: stepped } : {}),
        })),
      ],
    },
    [[], ...spec.series.map(() => [])],
    box,
  );
}
