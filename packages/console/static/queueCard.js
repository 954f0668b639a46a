// @ts-check
// One routed queue's card: its state, facts, actions and plots.
import { $, counted, el } from "./dom.js";
import { makePlot, PLOT_HEIGHT, PLOTS, plotWidth } from "./plots.js";

/** @typedef {import("../src/consoleApi.js").ConsoleQueue} ConsoleQueue */
/** @typedef {import("../src/consoleApi.js").ConsoleSharedLoop} ConsoleSharedLoop */
/** @typedef {import("./actions.js").Actions} Actions */
/** @typedef {import("./plots.js").PlotSpec} PlotSpec */

/**
 * @typedef {object} Plot
 * @property {HTMLElement} box
 * @property {HTMLElement} empty
 * @property {PlotSpec} spec
 * @property {import("uplot")} uplot
 */

/**
 * @typedef {object} QueueCard
 * @property {HTMLElement} root
 * @property {HTMLElement} facts
 * @property {HTMLElement} loopsLine
 * @property {HTMLElement} reason Why the route is blocked.
 * @property {HTMLElement} clamped Why run time holds the route to the loop limits.
 * @property {HTMLElement} stateBadge
 * @property {Record<string, Plot>} plots
 * @property {ConsoleQueue} queue The queue as last rendered (what the buttons act on).
 * @property {Record<keyof Actions, HTMLButtonElement>} buttons
 */

/**
 * Builds a queue's card at the end of the page; {@link renderQueue} fills it in.
 * @param {ConsoleQueue} queue
 * @param {Actions} actions
 * @returns {QueueCard}
 */
export function buildCard(queue, actions) {
  const facts = el("div", { class: "facts" });
  const actionsNode = el("div", {
    class: "actions",
    role: "group",
    "aria-label": `Actions on ${queue.name}`,
  });
  const loopsLine = el("p", { class: "loops-line" });
  const reason = el("p", { class: "blocked-reason", hidden: true });
  const clamped = el("p", { class: "clamped-reason", hidden: true });
  const stateBadge = el("span", { class: "state" });
  const plotsRow = el("div", { class: "plots" });
  const root = el(
    "section",
    { class: "queue", "data-queue": queue.name, "aria-label": `Queue ${queue.name}` },
    el("div", { class: "queue-head" }, el("h2", {}, queue.name), stateBadge, facts, actionsNode),
    loopsLine,
    reason,
    clamped,
    plotsRow,
  );
  /** @type {Record<string, Omit<Plot, "uplot"> & { uplot?: Plot["uplot"] }>} */
  const pending = {};
  for (const spec of PLOTS) {
    const box = el(
      "div",
      { class: "plot", "data-plot": spec.key, "data-points": "0" },
      el("h3", {}, spec.title),
    );
    const empty = el("div", { class: "empty" }, el("span", {}, spec.empty ?? "no data yet"));
    box.append(empty);
    plotsRow.append(box);
    pending[spec.key] = { box, empty, spec };
  }
  $("#queues").append(root);
  // Plots are made once their boxes are in the page, so they take the boxes' widths.
  /** @type {Record<string, Plot>} */
  const plots = {};
  for (const [key, plot] of Object.entries(pending))
    plots[key] = { ...plot, uplot: makePlot(plot.box, plot.spec) };
  /** @type {Partial<QueueCard["buttons"]>} */
  const buttons = {};
  /** @type {QueueCard} */
  const card = {
    root,
    facts,
    loopsLine,
    reason,
    clamped,
    stateBadge,
    plots,
    queue,
    buttons: /** @type {QueueCard["buttons"]} */ (buttons),
  };
  /**
   * @param {string} name The button's `data-action`.
   * @param {keyof Actions} action
   * @param {string} label
   */
  const button = (name, action, label) => {
    const onclick = () => actions[action](card.queue);
    const node = el("button", { type: "button", "data-action": name, onclick }, label);
    actionsNode.append(node);
    buttons[action] = node;
  };
  button("pause", "togglePause", "Pause");
  button("scale", "scale", "Scale…");
  button("peek", "peek", "Peek DLQ");
  button("redrive", "redrive", "Redrive DLQ");
  new ResizeObserver(() => {
    for (const plot of Object.values(plots))
      plot.uplot.setSize({ width: plotWidth(plot.box), height: PLOT_HEIGHT });
  }).observe(plotsRow);
  return card;
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [extraClass]
 */
function fact(label, value, extraClass) {
  return el("span", { class: extraClass }, `${label} `, el("b", {}, value));
}

/** @param {number | null | undefined} v */
const n = (v) => (v === null || v === undefined ? "-" : String(v));

/** "3 s", "2 min": a heartbeat's age. @param {number} ms */
function age(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/**
 * What serves the queue: its dedicated loops within the route's bounds, and the shared loop that
 * long-polls it with the other members of its group.
 * @param {ConsoleQueue} queue
 * @returns {(Node | string)[]}
 */
function loopsLineOf(queue) {
  const bounds = queue.minLoops === null ? "" : ` (min ${queue.minLoops}, max ${queue.maxLoops})`;
  const parts = [fact("dedicated loops", `${queue.loops}${bounds}`)];
  const shared = queue.shared;
  if (shared) {
    const heartbeat =
      shared.loop === null
        ? "no lease row (restart recreates it)"
        : shared.loop.heartbeatAgeMs === null
          ? "starting"
          : `heartbeat ${age(shared.loop.heartbeatAgeMs)} ago`;
    parts.push(
      fact("shared loop", `group ${shared.group}`, "shared"),
      el("span", { class: "muted" }, `${counted(shared.members, "queue")} in the group · ${heartbeat}`),
    );
  } else if (queue.minLoops === 0) {
    parts.push(
      fact(
        "shared loop",
        queue.idle === "sleep"
          ? "none: sleeps at rest, woken by restart"
          : "none yet (restart assigns a group)",
        "shared",
      ),
    );
  }
  return parts;
}

/**
 * Fills in a queue's card (building it the first time).
 * @param {Map<string, QueueCard>} cards
 * @param {ConsoleQueue} queue
 * @param {Actions} actions
 */
export function renderQueue(cards, queue, actions) {
  let card = cards.get(queue.name);
  if (!card) {
    card = buildCard(queue, actions);
    cards.set(queue.name, card);
  }
  card.root.dataset["state"] = queue.state;
  card.stateBadge.className = `state ${queue.state}`;
  card.stateBadge.textContent = queue.state;
  const external = queue.externalFunction;
  card.facts.replaceChildren(
    ...(queue.functionName && !external ? [fact("function", queue.functionName)] : []),
    ...(external ? [fact("external function", external.arn)] : []),
    ...(external?.reservedConcurrency != null
      ? [fact("reserved", String(external.reservedConcurrency))]
      : []),
    ...(queue.batchSize !== null ? [fact("batch", n(queue.batchSize))] : []),
    ...(queue.concurrency !== null ? [fact("concurrency", n(queue.concurrency))] : []),
    fact("visible", n(queue.visible)),
    fact("in flight", n(queue.inFlight)),
    ...(queue.dlq ? [fact("DLQ", n(queue.dlq.visible), queue.dlq.visible ? "dlq-nonzero" : undefined)] : []),
  );
  card.loopsLine.replaceChildren(...loopsLineOf(queue));
  card.reason.hidden = queue.blockedReasons.length === 0;
  card.reason.textContent = queue.blockedReasons.length ? `Blocked: ${queue.blockedReasons.join("; ")}` : "";
  card.clamped.hidden = queue.clamped === null;
  card.clamped.textContent = queue.clamped
    ? `Over the registry's loop limits, so run time holds it to them: ${queue.clamped.replace(/^clamped:\s*/, "")}`
    : "";
  const routed = queue.state !== "unrouted";
  // Buttons are updated in place, never rebuilt: a refresh must not take the keyboard focus away.
  card.queue = queue;
  const buttons = card.buttons;
  buttons.togglePause.textContent = queue.state === "paused" ? "Resume" : "Pause";
  buttons.togglePause.disabled = !routed;
  buttons.scale.disabled = !routed;
  buttons.peek.disabled = !queue.dlq;
  buttons.redrive.disabled = !queue.dlq || !queue.dlq.visible;
}
