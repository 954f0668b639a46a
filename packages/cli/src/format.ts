/**
 * Characters a terminal may act on rather than print: C0 controls, DEL, C1 controls (U+0080–U+009F,
 * with U+009B CSI and U+009D OSC, which some terminals read as escape sequences), the line and
 * paragraph separators, and the bidirectional overrides and isolates that reorder what follows.
 */
const controlCharacters = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const namedEscapes: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * A cell's text with every control character written out as an escape (`\n`, `\u001b`, `\u009b`),
 * so a message body or attribute cannot move the cursor, retitle the window or fake other rows.
 *
 * @example escapeControls("a\u009b2Jb") // "a\\u009b2Jb"
 */
export function escapeControls(text: string): string {
  return text.replace(
    controlCharacters,
    (c) => namedEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Renders rows as left-aligned columns under a header, two spaces apart; every cell's controls escaped. */
export function table(header: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((r) => r.map(escapeControls));
  header = header.map(escapeControls);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** `12.3s`, `4m05s`: heartbeat ages a person reads at a glance. */
export function age(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** Pretty JSON with a trailing newline, for `--json`. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function count(value: number | null): string {
  return value === null ? "-" : String(value);
}
