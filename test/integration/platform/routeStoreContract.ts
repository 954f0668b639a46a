import { ConfigValidationError, parseRoute, type Route, type RouteInput } from "@sqs-dispatcher/config";
import { InvalidStoredRouteError, type RouteStore } from "@sqs-dispatcher/core";
import { describe, expect, it } from "vitest";

/** A store under test plus a way to plant a corrupt raw entry behind its back. */
export interface ContractSubject {
  store: RouteStore;
  /** Writes a raw entry the store must refuse to parse; returns the key the error should name. */
  plantCorrupt(queueName: string): Promise<string>;
}

function route(queueName: string, extra: Partial<RouteInput> = {}): Route {
  return parseRoute({
    queueName,
    queueUrl: `http://127.0.0.1:4566/000000000000/${queueName}`,
    functionName: "record",
    ...extra,
  });
}

/**
 * The one contract every RouteStore passes. `makeStore` gets a fresh, empty namespace per test
 * (an SSM path or a table) so tests do not see each other's routes.
 */
export function routeStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`${name} route store contract`, () => {
    it("round-trips put, get, list and delete", async () => {
      const { store } = await makeStore();
      const orders = route("orders", {
        maxLoops: 4,
        alarms: [{ threshold: 100 }],
        scaling: { mode: "alarm" },
      });
      const fifo = route("payments.fifo", { source: "edit", updatedAt: 1_700_000_000_000, paused: true });
      await store.put(orders);
      await store.put(fifo);
      expect(await store.get("orders")).toEqual(orders);
      expect(await store.get("payments.fifo")).toEqual(fifo);
      expect(await store.list()).toEqual([orders, fifo]);
      expect(await store.delete("orders")).toBe(true);
      expect(await store.get("orders")).toBeUndefined();
      expect(await store.list()).toEqual([fifo]);
    });

    it("bumps the version marker on every write, and keeps it out of the route list", async () => {
      const { store } = await makeStore();
      const read = () => {
        if (!store.version) throw new Error("the store has no version marker");
        return store.version();
      };
      expect(await read()).toBeUndefined();
      await store.put(route("orders"));
      const afterPut = await read();
      expect(afterPut).toEqual(expect.any(String));
      expect(await read()).toBe(afterPut);
      await store.put(route("orders", { paused: true }));
      const afterEdit = await read();
      expect(afterEdit).not.toBe(afterPut);
      expect(await store.delete("nope")).toBe(false);
      expect(await read()).toBe(afterEdit);
      expect(await store.delete("orders")).toBe(true);
      expect(await read()).not.toBe(afterEdit);
      expect(await store.list()).toEqual([]);
    });

    it("overwrites a route on put", async () => {
      const { store } = await makeStore();
      await store.put(route("orders"));
      const edited = route("orders", { functionName: "other", batchSize: 3, source: "edit", updatedAt: 5 });
      await store.put(edited);
      expect(await store.get("orders")).toEqual(edited);
      expect(await store.list()).toHaveLength(1);
    });

    it("answers undefined and false for a missing route", async () => {
      const { store } = await makeStore();
      expect(await store.get("nope")).toBeUndefined();
      expect(await store.delete("nope")).toBe(false);
      expect(await store.list()).toEqual([]);
    });

    it("lists more routes than one page holds", async () => {
      const { store } = await makeStore();
      const names = Array.from({ length: 23 }, (_, i) => `q-${String(i).padStart(2, "0")}`);
      for (const n of names) await store.put(route(n));
      expect((await store.list()).map((r) => r.queueName)).toEqual(names);
    });

    it("refuses an invalid route before anything is written", async () => {
      const { store } = await makeStore();
      const invalid = { ...route("orders"), minLoops: 5, maxLoops: 2 };
      await expect(store.put(invalid)).rejects.toThrow(ConfigValidationError);
      await expect(store.put(invalid)).rejects.toThrow(/minLoops \(5\) must not exceed maxLoops \(2\)/);
      expect(await store.get("orders")).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it("names a corrupt stored route; list raises once with the valid routes attached", async () => {
      const subject = await makeStore();
      const good = route("good");
      await subject.store.put(good);
      const key = await subject.plantCorrupt("bad");
      await expect(subject.store.get("bad")).rejects.toThrow(InvalidStoredRouteError);
      await expect(subject.store.get("bad")).rejects.toThrow(key);
      const error = await subject.store.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidStoredRouteError);
      expect((error as InvalidStoredRouteError).invalid.map((i) => i.key)).toEqual([key]);
      expect((error as InvalidStoredRouteError).valid).toEqual([good]);
      expect(await subject.store.delete("bad")).toBe(true);
      expect(await subject.store.list()).toEqual([good]);
    });
  });
}
