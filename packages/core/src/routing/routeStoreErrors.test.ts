import { describe, expect, it } from "vitest";
import { InvalidStoredRouteError } from "./routeStoreErrors.js";

describe("InvalidStoredRouteError", () => {
  it("names one corrupt entry with its reason", () => {
    const error = new InvalidStoredRouteError([{ key: "/app/prod/routes/a", message: "queueUrl: required" }]);
    expect(error.message).toBe(
      "stored route '/app/prod/routes/a' does not parse: /app/prod/routes/a: queueUrl: required",
    );
  });

  it("names the first five of many corrupt entries and counts the rest, while keeping every key", () => {
    const invalid = Array.from({ length: 40 }, (_, i) => ({ key: `/app/prod/routes/q${i}`, message: "bad" }));
    const error = new InvalidStoredRouteError(invalid);
    expect(error.message).toContain("'/app/prod/routes/q4' and 35 more do not parse");
    expect(error.message).toContain("/app/prod/routes/q4: bad and 35 more");
    expect(error.message).not.toContain("q5");
    expect(error.invalid).toHaveLength(40);
  });
});
