// @ts-check
// What the buttons of a queue do: each confirmed in a dialog that names the equivalent CLI command.
import { confirmAction, showPeek } from "./dialogs.js";
import { api, messageOf, notice, showError } from "./dom.js";

/** @typedef {import("../src/consoleApi.js").ConsoleQueue} ConsoleQueue */
/** @typedef {import("../src/consoleApi.js").ConsolePeek} ConsolePeek */
/** @typedef {import("../src/consoleApi.js").ConsoleRedrive} ConsoleRedrive */
/** @typedef {import("../src/consoleApi.js").ConsoleRedriveTasks} ConsoleRedriveTasks */
/** @typedef {import("../src/consoleApi.js").ConsoleScaleResult} ConsoleScaleResult */

/**
 * @typedef {object} Actions
 * @property {(queue: ConsoleQueue) => Promise<void>} togglePause
 * @property {(queue: ConsoleQueue) => Promise<void>} scale
 * @property {(queue: ConsoleQueue) => Promise<void>} peek
 * @property {(queue: ConsoleQueue) => Promise<void>} redrive
 */

/**
 * The queue actions.
 * @param {{ cliFlags: () => string; refresh: () => Promise<void> }} page The flags that address
 *   the console's target (for the CLI commands shown) and the page's state refresh.
 * @returns {Actions}
 */
export function createActions(page) {
  /**
   * Runs an action, reports it, and refreshes the state; undefined when it failed (the error is shown).
   * @template T
   * @param {string} label
   * @param {() => Promise<T>} action
   * @returns {Promise<T | undefined>}
   */
  async function run(label, action) {
    try {
      const result = await action();
      notice(label);
      await page.refresh();
      return result;
    } catch (error) {
      showError(`${label} failed: ${messageOf(error)}`);
      return undefined;
    }
  }

  /**
   * Reports the move task's progress until it stops running, as `dlq redrive` does on a terminal.
   * @param {ConsoleQueue} queue
   * @param {string} dlq
   */
  async function followRedrive(queue, dlq) {
    for (;;) {
      let task;
      try {
        /** @type {ConsoleRedriveTasks} */
        const tasks = await api(`dlq/${encodeURIComponent(queue.name)}/tasks`);
        [task] = tasks.tasks;
      } catch (error) {
        showError(`cannot read the redrive of ${dlq}: ${messageOf(error)}`);
        return;
      }
      if (!task) return;
      const of = task.toMove !== undefined ? `/${task.toMove}` : "";
      const why = task.failureReason ? `: ${task.failureReason}` : "";
      notice(`redrive of ${dlq}: ${task.status.toLowerCase()}, moved ${task.moved}${of}${why}`);
      if (task.status !== "RUNNING" && task.status !== "CANCELLING") return;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  return {
    async togglePause(queue) {
      const pause = queue.state !== "paused";
      const ok = await confirmAction({
        title: `${pause ? "Pause" : "Resume"} ${queue.name}?`,
        text: pause
          ? "Loops keep their tokens but receive nothing; messages wait in the queue."
          : "Loops start receiving again within the route cache TTL.",
        cli: `pnpm dispatcher routes set ${queue.name} ${pause ? "--paused" : "--no-paused"} ${page.cliFlags()}`,
      });
      if (!ok) return;
      await run(`${queue.name} ${pause ? "paused" : "resumed"}`, () =>
        api(`routes/${encodeURIComponent(queue.name)}/${pause ? "pause" : "resume"}`, { method: "POST" }),
      );
    },

    async scale(queue) {
      const min = queue.minLoops ?? 0;
      const max = queue.maxLoops ?? 0;
      const clamped = queue.clamped
        ? ` Run time holds the route to the loop limits (${queue.clamped.replace(/^clamped:\s*/, "")}).`
        : "";
      const shared = queue.shared
        ? ` The shared loop of group ${queue.shared.group} keeps polling it whatever the number.`
        : "";
      const loops = await confirmAction({
        title: `Scale ${queue.name}`,
        text: `Set the number of dedicated loops (the route allows ${min} to ${max}).${shared}${clamped}`,
        cli: `pnpm dispatcher scale ${queue.name} --loops N ${page.cliFlags()}`,
        input: { value: queue.loops, min, max },
      });
      if (loops === null) return;
      await run(
        `${queue.name} scaled to ${loops} loop(s)`,
        () =>
          /** @type {Promise<ConsoleScaleResult>} */ (
            api(`routes/${encodeURIComponent(queue.name)}/scale`, {
              method: "POST",
              body: JSON.stringify({ loops }),
            })
          ),
      );
    },

    async peek(queue) {
      if (!queue.dlq) return;
      const dlq = queue.dlq.name;
      const ok = await confirmAction({
        title: `Peek at ${dlq}?`,
        text: "Shows up to 10 dead letters. Each is received once and made visible again at once.",
        cli: `pnpm dispatcher dlq peek ${queue.name} --count 10 ${page.cliFlags()}`,
      });
      if (!ok) return;
      const result = await run(
        `peeked at ${dlq}`,
        () =>
          /** @type {Promise<ConsolePeek>} */ (api(`dlq/${encodeURIComponent(queue.name)}/peek?count=10`)),
      );
      if (result) showPeek(queue.name, result);
    },

    async redrive(queue) {
      if (!queue.dlq) return;
      const dlq = queue.dlq.name;
      const ok = await confirmAction({
        title: `Redrive ${dlq}?`,
        text: `Moves every message of ${dlq} back to the queue it came from (an SQS message move task).`,
        cli: `pnpm dispatcher dlq redrive ${queue.name} ${page.cliFlags()}`,
      });
      if (!ok) return;
      const started = await run(
        `redrive of ${dlq} started`,
        () =>
          /** @type {Promise<ConsoleRedrive>} */ (
            api(`dlq/${encodeURIComponent(queue.name)}/redrive`, { method: "POST" })
          ),
      );
      if (started) await followRedrive(queue, dlq);
    },
  };
}
