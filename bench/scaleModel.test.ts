import { describe, expect, it } from "vitest";
import { atRestRegistry, defaultScaleSizes, scaleRegistry } from "./scaleModel.js";

describe("the scale model's registries", () => {
  it("are accepted at every default size (the loop limits admit the tokens the model writes)", () => {
    for (const size of defaultScaleSizes) {
      const registry = scaleRegistry(size);
      expect(registry.routes).toHaveLength(size.queues);
      const loops = registry.routes.reduce((sum, r) => sum + r.maxLoops * r.concurrency, 0);
      expect(loops).toBe(size.tokens);
    }
  });

  it("accepts more idle loops than the default loop limits allow", () => {
    expect(
      atRestRegistry(100, { waitTimeSec: 20, renewEverySec: 60, routeCacheTtlSec: 10, pollerTimeoutSec: 120 })
        .routes,
    ).toHaveLength(100);
  });
});
