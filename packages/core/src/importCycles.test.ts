import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    const isSource = path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.includes(".testkit.");
    return isSource ? [path] : [];
  });
}

/** A module's part of core: its top folder (`poller`, `dispatch`, …), or the file itself at the root. */
function partOf(path: string): string {
  const rel = relative(root, path);
  return rel.includes("/") ? (rel.split("/")[0] ?? rel) : rel.replace(/\.ts$/, "");
}

/** Part → the parts its modules import (relative imports only; the barrel `index.ts` is left out). */
function partGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(root)) {
    if (file === join(root, "index.ts")) continue;
    for (const match of readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = resolve(dirname(file), (match[1] ?? "").replace(/\.js$/, ".ts"));
      const [from, to] = [partOf(file), partOf(target)];
      if (from === to) continue;
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) return void found.push([...path.slice(at), node].join(" → "));
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe("core's import graph", () => {
  it("has no cycle between its parts, so dispatch/, lease/ and queue/ never depend on the loop", () => {
    const graph = partGraph();
    expect(graph.get("poller")?.has("dispatch")).toBe(true);
    expect(cycles(graph)).toEqual([]);
  });
});
