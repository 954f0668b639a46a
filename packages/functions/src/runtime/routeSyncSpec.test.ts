import { describe, expect, it } from "vitest";
import { joinRouteSyncSpec, type RouteSyncSpecPart, routeSyncSpecNames } from "./routeSyncSpec.js";

const names = ["/shop/prod/route-sync/0", "/shop/prod/route-sync/1"];
const part = (i: number, extra: Partial<RouteSyncSpecPart> = {}): string =>
  JSON.stringify({
    deployId: "d1",
    resetRoutes: false,
    part: i,
    parts: 2,
    routes: [{ queueName: `q${i}` }],
    ...extra,
  });

describe("joinRouteSyncSpec", () => {
  it("joins the parts in order into one spec", () => {
    const values = new Map([
      [names[1]!, part(1)],
      [names[0]!, part(0)],
    ]);
    expect(joinRouteSyncSpec(values, names)).toEqual({
      deployId: "d1",
      resetRoutes: false,
      routes: [{ queueName: "q0" }, { queueName: "q1" }],
    });
  });

  it.each([
    ["a missing part", new Map([[names[0]!, part(0)]]), /'\/shop\/prod\/route-sync\/1' does not exist/],
    [
      "parts of two deploys",
      new Map([
        [names[0]!, part(0)],
        [names[1]!, part(1, { deployId: "d0" })],
      ]),
      /belongs to deploy 'd0'/,
    ],
    [
      "parts that disagree on the reset flag",
      new Map([
        [names[0]!, part(0)],
        [names[1]!, part(1, { resetRoutes: true })],
      ]),
      /belongs to deploy/,
    ],
    [
      "a part count that differs from the names",
      new Map([
        [names[0]!, part(0, { parts: 1 })],
        [names[1]!, part(1, { parts: 1 })],
      ]),
      /part 0 of 1, expected 0 of 2/,
    ],
    [
      "a value that is not a part",
      new Map([
        [names[0]!, "{}"],
        [names[1]!, part(1)],
      ]),
      /is not a route-sync part/,
    ],
  ])("refuses %s", (_what, values, message) => {
    expect(() => joinRouteSyncSpec(values, names)).toThrow(message);
  });

  it("refuses an empty list of names", () => {
    expect(() => joinRouteSyncSpec(new Map(), [])).toThrow(/names no route-sync parameters/);
  });
});

describe("routeSyncSpecNames", () => {
  it("splits the environment's list", () => {
    expect(routeSyncSpecNames(" /a/0, /a/1 ,")).toEqual(["/a/0", "/a/1"]);
  });
});
