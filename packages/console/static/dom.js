// @ts-check
// The page's small DOM and API helpers.

/**
 * The element a selector names; the page's own markup holds every one it asks for.
 * @template {Element} [E=HTMLElement]
 * @param {string} selector
 * @returns {E}
 */
export function $(selector) {
  const node = document.querySelector(selector);
  if (node === null) throw new Error(`the page has no ${selector}`);
  return /** @type {E} */ (node);
}

/**
 * @typedef {Record<string, string | boolean | null | undefined | ((event: Event) => void)>} Attributes
 * `class` sets the class name, `on<event>` adds a listener, `false`/`null`/`undefined` leave the
 * attribute out, anything else is set as is.
 */

/**
 * A new element with attributes and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attrs]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = String(value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

/**
 * A call of the console API of the server that served the page (never AWS directly: the server
 * holds the credentials). The caller names the answer's type, which `consoleApi.ts` defines.
 * @template T
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<T>}
 */
export async function api(path, init = {}) {
  const response = await fetch(`/console/api/${path}`, {
    ...init,
    headers: { "x-dispatcher-console": "1", "content-type": "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

/**
 * The message of a caught value.
 * @param {unknown} error
 */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shows an error at the top of the page; an empty message hides it.
 * @param {string} message
 */
export function showError(message) {
  const node = $("#error");
  node.textContent = message || "";
  node.hidden = !message;
}

/**
 * What the last action did; stays until the next action (the refresh time has its own place).
 * @param {string} message
 */
export function notice(message) {
  $("#notice").textContent = message;
}

/**
 * A count with its noun, singular or plural: "1 queue", "3 queues".
 * @param {number} n
 * @param {string} noun
 */
export function counted(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
