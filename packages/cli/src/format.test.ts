import { describe, expect, it } from "vitest";
import { escapeControls, table } from "./format.js";

describe("table", () => {
  it("escapes every control character in any cell: C0, DEL, C1 (CSI, OSC), separators and bidi overrides", () => {
    const out = table(
      ["ID", "BODY"],
      [
        ["m\u001b[2J", "a\u009b2Jb\u009d0;pwned\u009c"],
        ["\u007f\u0085", "line\nbreak\ttab\r\u2028\u202e"],
      ],
    );
    // Only the newlines between rows are left.
    expect(out.replace(/\n/g, "")).not.toMatch(/[\p{Cc}\u2028\u202e]/u);
    expect(out).toContain("a\\u009b2Jb\\u009d0;pwned\\u009c");
    expect(out).toContain("m\\u001b[2J");
    expect(out).toContain("line\\nbreak\\ttab\\r\\u2028\\u202e");
    expect(out).toContain("\\u007f\\u0085");
    // One line per row, still: a newline in a body cannot fake a row.
    expect(out.trimEnd().split("\n")).toHaveLength(3);
  });

  it("leaves printable text, including non-Latin letters, as it is", () => {
    expect(escapeControls("Grüße, 東京 ✓")).toBe("Grüße, 東京 ✓");
  });
});
