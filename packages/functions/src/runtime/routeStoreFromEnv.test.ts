import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
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

  describe("a route store that never answers", () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it.each([
      ["ssm", { ROUTE_STORE: "ssm", ROUTES_PATH: "/app/dev/routes/" }],
      ["dynamodb", { ROUTE_STORE: "dynamodb", ROUTES_TABLE: "routes" }],
    ])(
      "fails the read after its request timeout instead of hanging the loop (%s)",
      async (_kind, env) => {
        // Accepts every request and never answers: a half-open connection.
        server = createServer(() => {});
        await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const store = routeStoreFromEnv(
          { AWS_REGION: "us-east-1", ...env },
          {
            region: "us-east-1",
            endpoint,
            requestTimeoutMs: 200,
            credentials: { accessKeyId: "k", secretAccessKey: "s" },
          },
        );
        await expect(store.list()).rejects.toThrow(/timeout|timed out|socket/i);
      },
      20_000,
    );
  });
});
