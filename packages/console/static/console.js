// @ts-check
// The sqs-dispatcher console: one page, no framework, no build step: ES modules the console's
// server serves as they are. It reads the console API of the server that served it (never AWS
// directly: the server holds the credentials) and draws with uPlot.
import { createActions } from "./actions.js";
import { wireCancel } from "./dialogs.js";
import { $, api, counted, el, messageOf, showError } from "./dom.js";
import { align, WINDOW_MINUTES } from "./plots.js";
import { renderQueue } from "./queueCard.js";

/** @typedef {import("../src/consoleApi.js").ConsoleState} ConsoleState */
/** @typedef {import("../src/consoleApi.js").ConsoleQueue} ConsoleQueue */
/** @typedef {import("../src/consoleApi.js").ConsoleMetrics} ConsoleMetrics */
/** @typedef {import("./queueCard.js").QueueCard} QueueCard */

const STATE_EVERY_MS = 3000;
const METRICS_EVERY_MS = 5000;

/** @type {ConsoleState | undefined} */
let state;
/** Routed queues' cards by queue name. @type {Map<string, QueueCard>} */
const cards = new Map();
const actions = createActions({ cliFlags: () => state?.cliFlags ?? "", refresh: refreshState });

/**
 * Queues without a route: listed, not plotted (the platform does not work on them).
 * @param {ConsoleQueue[]} queues
 */
function renderOthers(queues) {
  const queuesNode = $("#queues");
  let node = document.querySelector("#others");
  if (queues.length === 0) {
    node?.remove();
    return;
  }
  if (!node) {
    node = el("details", { id: "others", class: "others" }, el("summary"), el("ul"));
    queuesNode.append(node);
  }
  // Moved only when something follows it: re-inserting a node would take the focus off its summary.
  if (queuesNode.lastElementChild !== node) queuesNode.append(node);
  $("#others summary").textContent = `${counted(queues.length, "other queue")} without a route`;
  $("#others ul").replaceChildren(
    ...queues.map((q) =>
      el("li", {}, `${q.name}: ${q.visible ?? "-"} visible, ${q.inFlight ?? "-"} in flight`),
    ),
  );
}

/** @param {ConsoleState} current */
function renderAlarms(current) {
  const alarms = current.queues.flatMap((q) => q.alarms);
  $("#alarms").replaceChildren(
    ...(alarms.length === 0
      ? [el("span", { class: "muted" }, "No alarms.")]
      : alarms.map((a) =>
          el("span", { class: `alarm ${a.state}`, title: a.state }, `${a.name}: ${a.state}`),
        )),
  );
}

async function refreshState() {
  try {
    /** @type {ConsoleState} */
    const current = await api("state");
    state = current;
    $("#target").textContent =
      `${current.target} · stage ${current.stage} · last ${WINDOW_MINUTES} min, ${current.periodSec} s periods`;
    const routed = current.queues.filter((q) => q.state !== "unrouted");
    for (const queue of routed) renderQueue(cards, queue, actions);
    renderOthers(current.queues.filter((q) => q.state === "unrouted"));
    for (const [name, card] of cards) {
      if (!routed.some((q) => q.name === name)) {
        card.root.remove();
        cards.delete(name);
      }
    }
    renderAlarms(current);
    $("#updated").textContent = `updated ${new Date(current.at).toLocaleTimeString()}`;
    showError("");
  } catch (error) {
    showError(`cannot read state: ${messageOf(error)}`);
  }
}

async function refreshMetrics() {
  try {
    /** @type {ConsoleMetrics} */
    const metrics = await api(`metrics?minutes=${WINDOW_MINUTES}`);
    for (const [name, series] of Object.entries(metrics.queues)) {
      const card = cards.get(name);
      if (!card) continue;
      for (const plot of Object.values(card.plots)) {
        const data = align(plot.spec.series.map(([key]) => series[key]));
        const points = data
          .slice(1)
          .reduce((sum, column) => sum + [...column].filter((v) => v !== null).length, 0);
        plot.uplot.setData(data);
        plot.box.dataset["points"] = String(points);
        plot.empty.hidden = points > 0;
      }
    }
  } catch (error) {
    showError(`cannot read metrics: ${messageOf(error)}`);
  }
}

async function start() {
  wireCancel();
  await refreshState();
  await refreshMetrics();
  setInterval(refreshState, STATE_EVERY_MS);
  setInterval(refreshMetrics, METRICS_EVERY_MS);
}

start();
