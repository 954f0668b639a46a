import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { timerSleep } from "../clock.js";
import { HandlerNotRunError, NotRunReason } from "../errors.js";
import { silentLogger } from "../logger.js";
import { type InvokeHandlerDeps, invokeUntilRun } from "./invokeHandler.js";
import type { FunctionInvoker, InvokeResult } from "./ports.js";

const clock = { sleep: timerSleep, monotonic: () => Date.now() };
const retry = { baseMs: 100, maxMs: 1_000, random: () => 0.5 };
const throttle = () => new HandlerNotRunError("record", NotRunReason.Throttled, "Rate exceeded");

function deps(invoke: FunctionInvoker["invoke"], trace: string[]): InvokeHandlerDeps {
  return {
    invoker: { invoke, probe: async () => {} },
    clock,
    retry,
    logger: silentLogger,
    mayStartInvoke: () => true,
    observer: {
      refused: () => trace.push("refused"),
      waiting: (w) => trace.push(w ? "waiting" : "not-waiting"),
      ran: () => trace.push("ran"),
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("invokeUntilRun", () => {
  it("stops waiting once a retried invoke is accepted, long before the handler returns", async () => {
    const trace: string[] = [];
    let calls = 0;
    const invoke = async (): Promise<InvokeResult> => {
      calls++;
      if (calls === 1) throw throttle();
      trace.push("accepted");
      await clock.sleep(60_000);
      trace.push("returned");
      return { payload: null };
    };
    const attempt = invokeUntilRun(deps(invoke, trace), "record", "{}");
    await vi.advanceTimersByTimeAsync(5_000);
    // The handler is running: the loop may receive again while it runs.
    expect(trace).toEqual(["refused", "waiting", "accepted", "not-waiting"]);
    await vi.runAllTimersAsync();
    expect((await attempt).kind).toBe("answered");
    expect(trace).toEqual(["refused", "waiting", "accepted", "not-waiting", "returned", "ran"]);
  });

  it("waits again when the retry is refused too, and reports waiting balanced", async () => {
    const trace: string[] = [];
    let calls = 0;
    const invoke = async (): Promise<InvokeResult> => {
      calls++;
      if (calls <= 3) {
        await clock.sleep(20);
        throw throttle();
      }
      return { payload: null };
    };
    const attempt = invokeUntilRun(deps(invoke, trace), "record", "{}");
    await vi.runAllTimersAsync();
    expect((await attempt).kind).toBe("answered");
    const depth = trace.reduce((d, t) => d + (t === "waiting" ? 1 : t === "not-waiting" ? -1 : 0), 0);
    expect(depth).toBe(0);
    // Never not waiting between two refusals: a quick refusal keeps the gate closed.
    expect(trace.slice(0, trace.lastIndexOf("refused") + 1)).not.toContain("not-waiting");
  });

  it("stops retrying at once when told to stop, reporting the batch not run", async () => {
    const trace: string[] = [];
    let calls = 0;
    const invoke = async (): Promise<InvokeResult> => {
      calls++;
      throw throttle();
    };
    const stop = new AbortController();
    const slow = { ...deps(invoke, trace), retry: { baseMs: 10_000, maxMs: 10_000, random: () => 0.9 } };
    const attempt = invokeUntilRun({ ...slow, stop: stop.signal }, "record", "{}");
    await vi.advanceTimersByTimeAsync(1_000);
    stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(await attempt).toEqual({ kind: "not-run", reason: NotRunReason.Throttled, stopped: true });
    expect(calls).toBe(1);
    expect(trace.at(-1)).toBe("not-waiting");
  });
});
