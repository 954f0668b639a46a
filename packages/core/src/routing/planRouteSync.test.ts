import { parseRoute, type Route, type RouteInput } from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import { applyRouteSync, describeRouteSync, planRouteSync } from "./planRouteSync.js";

function route(queueName: string, extra: Partial<RouteInput> = {}): Route {
  return parseRoute({
    queueName,
    queueUrl: `http://127.0.0.1:4566/000000000000/${queueName}`,
    functionName: "record",
    ...extra,
  });
}

describe("planRouteSync", () => {
  it("writes registry routes the store lacks, as deploy routes", () => {
    const plan = planRouteSync([route("orders", { source: "edit" })], []);
    expect(plan.puts).toEqual([route("orders", { source: "deploy" })]);
    expect(plan.skips).toEqual([]);
  });

  it("leaves an unchanged deployed route alone, even when only updatedAt differs", () => {
    const stored = route("orders", { updatedAt: 5 });
    const plan = planRouteSync([route("orders", { updatedAt: 9 })], [stored]);
    expect(plan.puts).toEqual([]);
    expect(plan.unchanged).toEqual([stored]);
  });

  it("overwrites a deployed route whose registry definition changed", () => {
    const plan = planRouteSync([route("orders", { maxLoops: 4 })], [route("orders")]);
    expect(plan.puts.map((r) => r.maxLoops)).toEqual([4]);
  });

  it("keeps a route edited at run time and reports the skip", () => {
    const edited = route("orders", { functionName: "other", source: "edit", updatedAt: 7 });
    const plan = planRouteSync([route("orders")], [edited]);
    expect(plan.puts).toEqual([]);
    expect(plan.skips).toEqual([{ route: route("orders"), stored: edited, reason: "edited" }]);
    expect(describeRouteSync(plan).join("\n")).toMatch(/orders: kept the run-time edit.*--reset-routes/);
  });

  it("resets an edited route to the registry when forced", () => {
    const edited = route("orders", { functionName: "other", source: "edit" });
    const plan = planRouteSync([route("orders")], [edited], { force: true });
    expect(plan.puts).toEqual([route("orders")]);
    expect(plan.skips).toEqual([]);
  });

  it("deletes deployed routes the registry dropped, keeps run-time routes unless forced", () => {
    const stored = [route("gone"), route("adhoc", { source: "edit" })];
    const plan = planRouteSync([], stored);
    expect(plan.deletes).toEqual(["gone"]);
    expect(plan.keeps.map((r) => r.queueName)).toEqual(["adhoc"]);
    expect(planRouteSync([], stored, { force: true }).deletes).toEqual(["gone", "adhoc"]);
  });

  it("applies puts and deletes to a store", async () => {
    const written: string[] = [];
    const removed: string[] = [];
    const plan = planRouteSync([route("a")], [route("b")]);
    await applyRouteSync(
      {
        put: async (r) => void written.push(r.queueName),
        delete: async (q) => {
          removed.push(q);
          return true;
        },
      },
      plan,
    );
    expect({ written, removed }).toEqual({ written: ["a"], removed: ["b"] });
  });
});
