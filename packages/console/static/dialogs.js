// @ts-check
// The confirmation dialog every action goes through, and the dead-letter peek's result dialog.
import { $, el } from "./dom.js";

/** @typedef {import("../src/consoleApi.js").ConsolePeek} ConsolePeek */

/**
 * @typedef {object} Confirmation
 * @property {string} title
 * @property {string} text
 * @property {string} cli The equivalent CLI command, shown in the dialog.
 * @property {{ value: number; min: number; max: number }} [input] A whole number to ask for.
 */

/**
 * Asks before an action; resolves to the input's value (or true), or null when cancelled.
 * @overload
 * @param {Confirmation & { input: NonNullable<Confirmation["input"]> }} confirmation
 * @returns {Promise<number | null>}
 */
/**
 * @overload
 * @param {Omit<Confirmation, "input">} confirmation
 * @returns {Promise<true | null>}
 */
/**
 * @param {Confirmation} confirmation
 * @returns {Promise<number | true | null>}
 */
export function confirmAction({ title, text, cli, input }) {
  /** @type {HTMLDialogElement} */
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-cli").textContent = cli;
  const label = $("#confirm-input-label");
  /** @type {HTMLInputElement} */
  const field = $("#confirm-input");
  label.hidden = !input;
  if (input) {
    field.value = String(input.value);
    field.min = String(input.min);
    field.max = String(input.max);
  }
  return new Promise((resolve) => {
    /** @type {HTMLFormElement} */
    const form = $("#confirm form");
    /** @param {SubmitEvent} event */
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

/** Cancel closes the dialog without submitting (so an invalid number does not hold it open). */
export function wireCancel() {
  /** @type {HTMLDialogElement} */
  const dialog = $("#confirm");
  $("#confirm button[value=cancel]").addEventListener("click", (event) => {
    event.preventDefault();
    dialog.close("cancel");
  });
}

/**
 * The dead letters a peek returned, in a dialog.
 * @param {string} queue
 * @param {ConsolePeek} result
 */
export function showPeek(queue, result) {
  $("#peek-title").textContent = `Dead letters of ${queue} (${result.dlq}): ${result.messages.length} shown`;
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
    const head = el(
      "tr",
      {},
      el("th", {}, "Message id"),
      el("th", {}, "Receives"),
      el("th", {}, "Sent"),
      el("th", {}, "Body"),
    );
    body.append(
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)),
      el(
        "p",
        { class: "muted" },
        "The messages were made visible again at once; a peek counts as a receive.",
      ),
    );
  }
  /** @type {HTMLDialogElement} */ ($("#peek")).showModal();
}
