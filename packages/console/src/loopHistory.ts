/**
 * Loop counts over time, per queue. Loops are token rows, not a metric, so the console keeps
 * what it has seen: one point per state read, the last `spanMs` of them.
 */
export class LoopHistory {
  private readonly points = new Map<string, { at: number; loops: number }[]>();

  constructor(private readonly spanMs: number) {}

  record(queueName: string, at: number, loops: number): void {
    const list = this.points.get(queueName) ?? [];
    list.push({ at, loops });
    while (list.length > 0 && (list[0]?.at ?? 0) < at - this.spanMs) list.shift();
    this.points.set(queueName, list);
  }

  /** Timestamps and values of a queue since `from`, oldest first. */
  since(queueName: string, from: number): { timestamps: number[]; values: number[] } {
    const list = (this.points.get(queueName) ?? []).filter((p) => p.at >= from);
    return { timestamps: list.map((p) => p.at), values: list.map((p) => p.loops) };
  }
}
