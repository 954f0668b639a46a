// The sqs-dispatcher console: one page, no framework. It reads the console API of the server
// that served it (never AWS directly: the server holds the credentials) and draws with uPlot.

(() => {
  const STATE_EVERY_MS = 3000;
  const METRICS_EVERY_MS = 5000;
  const WINDOW_MINUTES = 15;

  /** The plots of a queue: title, unit, and [series key, label, colour]. */
  const PLOTS = [
    {
      key: "depth",
      title: "Messages",
      series: [
        ["visible", "visible", "#2458c6"],
        ["inFlight", "in flight", "#8a5cd1"],
        ["dlq", "DLQ", "#b3261e"],
      ],
    },
    { key: "loops", title: "Loops", series: [["loops", "loops", "#1d7a46"]], stepped: true },
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

  const $ = (selector) => document.querySelector(selector);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  async function api(path, init = {}) {
    const response = await fetch(`/console/api/${path}`, {
      ...init,
      headers: { "x-dispatcher-console": "1", "content-type": "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    return body;
  }

  let state;
  /** queue name → { root, facts, actions, reason, plots: { key → { uplot, box } } } */
  const cards = new Map();

  function showError(message) {
    const node = $("#error");
    node.textContent = message || "";
    node.hidden = !message;
  }

  /** What the last action did; stays until the next action (the refresh time has its own place). */
  function notice(message) {
    $("#notice").textContent = message;
  }

  // ---------- confirmation and result dialogs ----------

  /** Asks before an action; resolves to the input's value (or true), or null when cancelled. */
  function confirmAction({ title, text, cli, input }) {
    const dialog = $("#confirm");
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    $("#confirm-cli").textContent = cli;
    const label = $("#confirm-input-label");
    const field = $("#confirm-input");
    label.hidden = !input;
    if (input) {
      field.value = String(input.value);
      field.min = String(input.min);
      field.max = String(input.max);
    }
    return new Promise((resolve) => {
      const form = dialog.querySelector("form");
      const onSubmit = (event) => {
        if (input) {
          const value = Number(field.value);
          if (!Number.isInteger(value) || value < input.min || value > input.max) {
            event.preventDefault();
            field.setCustomValidity(`A whole number from ${input.min} to ${input.max}`);
            field.reportValidity();
            return;
          }
        }
        dialog.returnValue = "ok";
      };
      const onClose = () => {
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "ok") resolve(null);
        else resolve(input ? Number(field.value) : true);
      };
      field.oninput = () => field.setCustomValidity("");
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", onClose);
      dialog.returnValue = "";
      dialog.showModal();
      (input ? field : $("#confirm-ok")).focus();
    });
  }

  $("#confirm")
    .querySelector("button[value=cancel]")
    .addEventListener("click", (event) => {
      event.preventDefault();
      $("#confirm").close("cancel");
    });

  function showPeek(queue, result) {
    $("#peek-title").textContent =
      `Dead letters of ${queue} (${result.dlq}): ${result.messages.length} shown`;
    const body = $("#peek-body");
    body.replaceChildren();
    if (result.messages.length === 0) {
      body.append(el("p", {}, "The DLQ is empty."));
    } else {
      const rows = result.messages.map((m) =>
        el(
          "tr",
          {},
          el("td", {}, m.messageId),
          el("td", {}, String(m.receiveCount)),
          el("td", {}, m.sentAt ? new Date(m.sentAt).toLocaleString() : "-"),
          el("td", { class: "body" }, m.body),
        ),
      );
      body.append(
        el(
          "table",
          {},
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", {}, "Message id"),
              el("th", {}, "Receives"),
              el("th", {}, "Sent"),
              el("th", {}, "Body"),
            ),
          ),
          el("tbody", {}, ...rows),
        ),
        el(
          "p",
          { class: "muted" },
          "The messages were made visible again at once; a peek counts as a receive.",
        ),
      );
    }
    $("#peek").showModal();
  }

  // ---------- actions ----------

  async function run(label, action) {
    try {
      const result = await action();
      notice(label);
      await refreshState();
      return result;
    } catch (error) {
      showError(`${label} failed: ${error.message}`);
      return undefined;
    }
  }

  async function togglePause(queue) {
    const pause = queue.state !== "paused";
    const ok = await confirmAction({
      title: `${pause ? "Pause" : "Resume"} ${queue.name}?`,
      text: pause
        ? "Loops keep their tokens but receive nothing; messages wait in the queue."
        : "Loops start receiving again within the route cache TTL.",
      cli: `pnpm dispatcher routes set ${queue.name} ${pause ? "--paused" : "--no-paused"} ${state.cliFlags}`,
    });
    if (!ok) return;
    await run(`${queue.name} ${pause ? "paused" : "resumed"}`, () =>
      api(`routes/${encodeURIComponent(queue.name)}/${pause ? "pause" : "resume"}`, { method: "POST" }),
    );
  }

  async function scale(queue) {
    const loops = await confirmAction({
      title: `Scale ${queue.name}`,
      text: `Set the number of loops (the route allows ${queue.minLoops} to ${queue.maxLoops}).`,
      cli: `pnpm dispatcher scale ${queue.name} --loops N ${state.cliFlags}`,
      input: { value: queue.loops, min: queue.minLoops, max: queue.maxLoops },
    });
    if (loops === null) return;
    await run(`${queue.name} scaled to ${loops} loop(s)`, () =>
      api(`routes/${encodeURIComponent(queue.name)}/scale`, {
        method: "POST",
        body: JSON.stringify({ loops }),
      }),
    );
  }

  async function peek(queue) {
    const ok = await confirmAction({
      title: `Peek at ${queue.dlq.name}?`,
      text: "Shows up to 10 dead letters. Each is received once and made visible again at once.",
      cli: `pnpm dispatcher dlq peek ${queue.name} --count 10 ${state.cliFlags}`,
    });
    if (!ok) return;
    const result = await run(`peeked at ${queue.dlq.name}`, () =>
      api(`dlq/${encodeURIComponent(queue.name)}/peek?count=10`),
    );
    if (result) showPeek(queue.name, result);
  }

  async function redrive(queue) {
    const ok = await confirmAction({
      title: `Redrive ${queue.dlq.name}?`,
      text: `Moves every message of ${queue.dlq.name} back to the queue it came from (an SQS message move task).`,
      cli: `pnpm dispatcher dlq redrive ${queue.name} ${state.cliFlags}`,
    });
    if (!ok) return;
    const started = await run(`redrive of ${queue.dlq.name} started`, () =>
      api(`dlq/${encodeURIComponent(queue.name)}/redrive`, { method: "POST" }),
    );
    if (started) await followRedrive(queue);
  }

  /** Reports the move task's progress until it stops running, as `dlq redrive` does on a terminal. */
  async function followRedrive(queue) {
    for (;;) {
      let task;
      try {
        [task] = (await api(`dlq/${encodeURIComponent(queue.name)}/tasks`)).tasks;
      } catch (error) {
        showError(`cannot read the redrive of ${queue.dlq.name}: ${error.message}`);
        return;
      }
      if (!task) return;
      const of = task.toMove !== undefined ? `/${task.toMove}` : "";
      const why = task.failureReason ? `: ${task.failureReason}` : "";
      notice(`redrive of ${queue.dlq.name}: ${task.status.toLowerCase()}, moved ${task.moved}${of}${why}`);
      if (task.status !== "RUNNING" && task.status !== "CANCELLING") return;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  // ---------- plots ----------

  /** Aligns series of different timestamps on one x axis (seconds), null where a series has no point. */
  function align(seriesList) {
    const xs = [...new Set(seriesList.flatMap((s) => (s ? s.t : [])))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const ys = seriesList.map((s) => {
      const column = new Array(xs.length).fill(null);
      if (s) {
        for (let i = 0; i < s.t.length; i++) column[index.get(s.t[i])] = s.v[i];
      }
      return column;
    });
    return [xs.map((x) => x / 1000), ...ys];
  }

  /** 1234 → "1.2k": axis labels stay short enough for a laptop-width plot. */
  const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

  function makePlot(box, spec) {
    const width = Math.max(200, box.clientWidth - 12);
    const stepped = spec.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    return new uPlot(
      {
        width,
        height: 130,
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
            points: { show: (u, si) => u.data[si].filter((v) => v !== null).length < 3 },
            ...(stepped ? { paths: stepped } : {}),
          })),
        ],
      },
      [[], ...spec.series.map(() => [])],
      box,
    );
  }

  function buildCard(queue) {
    const facts = el("div", { class: "facts" });
    const actions = el("div", { class: "actions", role: "group", "aria-label": `Actions on ${queue.name}` });
    const reason = el("p", { class: "blocked-reason", hidden: true });
    const stateBadge = el("span", { class: "state" });
    const plotsRow = el("div", { class: "plots" });
    const root = el(
      "section",
      { class: "queue", "data-queue": queue.name, "aria-label": `Queue ${queue.name}` },
      el("div", { class: "queue-head" }, el("h2", {}, queue.name), stateBadge, facts, actions),
      reason,
      plotsRow,
    );
    const plots = {};
    for (const spec of PLOTS) {
      const box = el(
        "div",
        { class: "plot", "data-plot": spec.key, "data-points": "0" },
        el("h3", {}, spec.title),
      );
      const empty = el("div", { class: "empty" }, spec.empty ?? "no data yet");
      box.append(empty);
      plotsRow.append(box);
      plots[spec.key] = { box, empty, spec, uplot: undefined };
    }
    $("#queues").append(root);
    const card = { root, facts, actions, reason, stateBadge, plots, queue, buttons: {} };
    const button = (action, label, onClick) => {
      const node = el(
        "button",
        { type: "button", "data-action": action, onclick: () => onClick(card.queue) },
        label,
      );
      actions.append(node);
      card.buttons[action] = node;
    };
    button("pause", "Pause", togglePause);
    button("scale", "Scale…", scale);
    button("peek", "Peek DLQ", peek);
    button("redrive", "Redrive DLQ", redrive);
    for (const plot of Object.values(plots)) plot.uplot = makePlot(plot.box, plot.spec);
    new ResizeObserver(() => {
      for (const plot of Object.values(plots))
        plot.uplot.setSize({ width: Math.max(200, plot.box.clientWidth - 12), height: 130 });
    }).observe(plotsRow);
    return card;
  }

  function fact(label, value, extraClass) {
    return el("span", { class: extraClass }, `${label} `, el("b", {}, value));
  }

  function renderQueue(queue) {
    let card = cards.get(queue.name);
    if (!card) {
      card = buildCard(queue);
      cards.set(queue.name, card);
    }
    card.root.dataset.state = queue.state;
    card.stateBadge.className = `state ${queue.state}`;
    card.stateBadge.textContent = queue.state;
    const n = (v) => (v === null || v === undefined ? "-" : String(v));
    card.facts.replaceChildren(
      ...(queue.functionName && !queue.externalFunction ? [fact("function", queue.functionName)] : []),
      ...(queue.externalFunction ? [fact("external function", queue.externalFunction.arn)] : []),
      ...(queue.externalFunction?.reservedConcurrency != null
        ? [fact("reserved", String(queue.externalFunction.reservedConcurrency))]
        : []),
      fact(
        "loops",
        queue.minLoops === null ? n(queue.loops) : `${queue.loops} (${queue.minLoops}–${queue.maxLoops})`,
      ),
      ...(queue.batchSize !== null ? [fact("batch", n(queue.batchSize))] : []),
      ...(queue.concurrency !== null ? [fact("concurrency", n(queue.concurrency))] : []),
      fact("visible", n(queue.visible)),
      fact("in flight", n(queue.inFlight)),
      ...(queue.dlq
        ? [fact("DLQ", n(queue.dlq.visible), queue.dlq.visible ? "dlq-nonzero" : undefined)]
        : []),
    );
    card.reason.hidden = queue.blockedReasons.length === 0;
    card.reason.textContent = queue.blockedReasons.length
      ? `Blocked: ${queue.blockedReasons.join("; ")}`
      : "";
    const routed = queue.state !== "unrouted";
    // Buttons are updated in place, never rebuilt: a refresh must not take the keyboard focus away.
    card.queue = queue;
    const buttons = card.buttons;
    buttons.pause.textContent = queue.state === "paused" ? "Resume" : "Pause";
    buttons.pause.disabled = !routed;
    buttons.scale.disabled = !routed;
    buttons.peek.disabled = !queue.dlq;
    buttons.redrive.disabled = !queue.dlq || !queue.dlq.visible;
  }

  /** Queues without a route: listed, not plotted (the platform does not work on them). */
  function renderOthers(queues) {
    let node = $("#others");
    if (queues.length === 0) {
      node?.remove();
      return;
    }
    if (!node) {
      node = el("details", { id: "others", class: "others" }, el("summary"), el("ul"));
      $("#queues").append(node);
    }
    // Moved only when something follows it: re-inserting a node would take the focus off its summary.
    if ($("#queues").lastElementChild !== node) $("#queues").append(node);
    node.querySelector("summary").textContent = `${queues.length} other queue(s) without a route`;
    node
      .querySelector("ul")
      .replaceChildren(
        ...queues.map((q) =>
          el("li", {}, `${q.name}: ${q.visible ?? "-"} visible, ${q.inFlight ?? "-"} in flight`),
        ),
      );
  }

  function renderAlarms() {
    const alarms = state.queues.flatMap((q) => q.alarms);
    const node = $("#alarms");
    node.replaceChildren(
      ...(alarms.length === 0
        ? [el("span", { class: "muted" }, "No alarms.")]
        : alarms.map((a) =>
            el("span", { class: `alarm ${a.state}`, title: a.state }, `${a.name}: ${a.state}`),
          )),
    );
  }

  async function refreshState() {
    try {
      state = await api("state");
      $("#target").textContent =
        `${state.target} · stage ${state.stage} · last ${WINDOW_MINUTES} min, ${state.periodSec} s periods`;
      const routed = state.queues.filter((q) => q.state !== "unrouted");
      for (const queue of routed) renderQueue(queue);
      renderOthers(state.queues.filter((q) => q.state === "unrouted"));
      for (const [name, card] of cards) {
        if (!routed.some((q) => q.name === name)) {
          card.root.remove();
          cards.delete(name);
        }
      }
      renderAlarms();
      $("#updated").textContent = `updated ${new Date(state.at).toLocaleTimeString()}`;
      showError("");
    } catch (error) {
      showError(`cannot read state: ${error.message}`);
    }
  }

  async function refreshMetrics() {
    try {
      const metrics = await api(`metrics?minutes=${WINDOW_MINUTES}`);

      for (const [name, series] of Object.entries(metrics.queues)) {
        const card = cards.get(name);
        if (!card) continue;
        for (const plot of Object.values(card.plots)) {
          const data = align(plot.spec.series.map(([key]) => series[key]));
          const points = data
            .slice(1)
            .reduce((sum, column) => sum + column.filter((v) => v !== null).length, 0);
          plot.uplot.setData(data);
          plot.box.dataset.points = String(points);
          plot.empty.hidden = points > 0;
        }
      }
    } catch (error) {
      showError(`cannot read metrics: ${error.message}`);
    }
  }

  async function start() {
    await refreshState();
    await refreshMetrics();
    setInterval(refreshState, STATE_EVERY_MS);
    setInterval(refreshMetrics, METRICS_EVERY_MS);
  }

  start();
})();
