import { describe, expect, it } from "vitest";
import { MissingEnvironmentError } from "./environment.js";
import { routeStoreFromEnv } from "./routeStoreFromEnv.js";

describe("routeStoreFromEnv", () => {
  it("builds a store for ssm with ROUTES_PATH and for dynamodb with ROUTES_TABLE", () => {
    for (const env of [
      { ROUTE_STORE: "ssm", ROUTES_PATH: "/app/dev/routes/" },
      { ROUTE_STORE: "dynamodb", ROUTES_TABLE: "routes" },
    ]) {
      const store = routeStoreFromEnv({ AWS_REGION: "us-east-1", ...env });
      expect(Object.keys(store).sort()).toEqual(["delete", "get", "list", "put", "version"]);
    }
  });

  it.each([
    [{}, "environment variable ROUTE_STORE is not set"],
    [
      { ROUTE_STORE: "redis" },
      "environment variable ROUTE_STORE ('ssm' or 'dynamodb', got 'redis') is not set",
    ],
    [{ ROUTE_STORE: "ssm" }, "environment variable ROUTES_PATH is not set"],
    [{ ROUTE_STORE: "dynamodb" }, "environment variable ROUTES_TABLE is not set"],
  ])("names the variable that is missing or wrong (%j)", (env, message) => {
    expect(() => routeStoreFromEnv(env)).toThrow(MissingEnvironmentError);
    expect(() => routeStoreFromEnv(env)).toThrow(message);
  });
});
