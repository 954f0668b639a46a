import { createHash, randomBytes } from "node:crypto";

/**
 * AWS stops a chain once a function would run for about the 17th time in it
 * ("Lambda stops a recursive loop after about 16 invocations").
 */
export const maxRecursiveInvocations = 16;

/** One function's place in a chain: the hash of its ARN and how often it ran in this chain so far. */
export interface LineageEntry {
  hash: string;
  count: number;
}

/** The parts of an `X-Amzn-Trace-Id` header that the recursion guard reads and writes. */
export interface TraceHeader {
  root: string;
  parent?: string;
  sampled: string;
  lineage: LineageEntry[];
}

/** The outcome of placing one invocation into the caller's chain. */
export interface ChainStep {
  /** Header value the invocation runs with (its `_X_AMZN_TRACE_ID`). */
  header: string;
  /** How many times this function has run in the chain, this invocation included. */
  count: number;
  /** True when this invocation would exceed {@link maxRecursiveInvocations}. */
  exceedsLimit: boolean;
}

/** The short, stable id of a function inside a lineage (AWS uses 8 hex digits). */
export function lineageHash(functionArn: string): string {
  return createHash("sha256").update(functionArn).digest("hex").slice(0, 8);
}

/** A new X-Ray style root: `1-<epoch seconds hex>-<24 hex>`. */
export function newTraceRoot(nowMs: number): string {
  return `1-${Math.floor(nowMs / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

/**
 * Reads `Root=...;Parent=...;Sampled=...;Lineage=...`. Lineage entries come in AWS's current
 * `1:<hash>:<count>` form and its older `<hash>:<count>` form, several joined by `|`.
 */
export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (!value) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const root = fields.get("Root");
  if (!root) return undefined;
  const lineage: LineageEntry[] = [];
  for (const entry of (fields.get("Lineage") ?? "").split("|")) {
    const pieces = entry.split(":");
    const hash = pieces.length === 3 ? pieces[1] : pieces.length === 2 ? pieces[0] : undefined;
    const count = Number(pieces[pieces.length - 1]);
    if (hash && /^[0-9a-f]{8}$/i.test(hash) && Number.isInteger(count) && count >= 0) {
      lineage.push({ hash: hash.toLowerCase(), count });
    }
  }
  const parent = fields.get("Parent");
  return { root, ...(parent ? { parent } : {}), sampled: fields.get("Sampled") ?? "0", lineage };
}

/** Writes a header in the shape Lambda gives `_X_AMZN_TRACE_ID`. */
export function formatTraceHeader(trace: TraceHeader): string {
  const parts = [`Root=${trace.root}`];
  if (trace.parent) parts.push(`Parent=${trace.parent}`);
  parts.push(`Sampled=${trace.sampled}`);
  if (trace.lineage.length > 0) {
    parts.push(`Lineage=${trace.lineage.map((e) => `1:${e.hash}:${e.count}`).join("|")}`);
  }
  return parts.join(";");
}

/**
 * Places an invocation of `functionArn` into the chain its caller's header describes (a fresh chain
 * when there is none): same root, a new parent segment, this function's lineage count plus one.
 */
export function nextChainStep(incoming: string | undefined, functionArn: string, nowMs: number): ChainStep {
  const trace = parseTraceHeader(incoming) ?? { root: newTraceRoot(nowMs), sampled: "0", lineage: [] };
  const hash = lineageHash(functionArn);
  const previous = trace.lineage.find((e) => e.hash === hash)?.count ?? 0;
  const count = previous + 1;
  const lineage = [...trace.lineage.filter((e) => e.hash !== hash), { hash, count }];
  const header = formatTraceHeader({
    root: trace.root,
    parent: randomBytes(8).toString("hex"),
    sampled: trace.sampled,
    lineage,
  });
  return { header, count, exceedsLimit: count > maxRecursiveInvocations };
}
