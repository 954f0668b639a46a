import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseRoute, type Route } from "@sqs-dispatcher/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConsoleToken } from "./consoleAuth.js";
import type { ConsoleDeps } from "./consoleDeps.js";
import { type ConsoleServer, startConsoleServer } from "./startConsoleServer.js";

const token = "test-token-of-this-run";
const routes = new Map<string, Route>([
  [
    "orders",
    parseRoute({
      queueName: "orders",
      queueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
      functionName: "record",
    }),
  ],
]);

/** Enough of the console's ports for pause/resume and an empty state. */
const deps = {
  stage: "test",
  target: "t",
  cliFlags: "--stage test",
  periodSec: 60,
  routes: {
    get: async (q: string) => routes.get(q),
    put: async (r: Route) => void routes.set(r.queueName, r),
  },
  status: {
    clock: { now: () => 1 },
    routes: { list: async () => [] },
  },
} as unknown as ConsoleDeps;

let server: ConsoleServer;
beforeAll(async () => {
  server = await startConsoleServer({ deps, port: 0, token });
});
afterAll(async () => {
  await server?.stop();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}console/api/${path}`, init);

/** Logs in as the page does: the printed URL sets the cookie and redirects to the bare page. */
async function login(): Promise<string> {
  const response = await fetch(server.loginUrl, { redirect: "manual" });
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/");
  const cookie = response.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(
    /^dispatcher-console-\d+=test-token-of-this-run; HttpOnly; SameSite=Strict; Path=\/$/,
  );
  return cookie.split(";")[0] ?? "";
}

describe("the console's secret", () => {
  it("is printed in the login URL, Jupyter-style", () => {
    expect(server.loginUrl).toBe(`${server.url}?token=${token}`);
  });

  it("refuses the API without the session, even with the console's header (401)", async () => {
    const bare = await api("routes/orders/pause", {
      method: "POST",
      headers: { "x-dispatcher-console": "1" },
    });
    expect(bare.status).toBe(401);
    const wrong = await api("routes/orders/pause", {
      method: "POST",
      headers: { "x-dispatcher-console": "1", cookie: `${(await login()).split("=")[0]}=guess` },
    });
    expect(wrong.status).toBe(401);
    expect(routes.get("orders")?.paused).toBe(false);
  });

  it("refuses the page without the session, and a wrong token in the URL", async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(`${server.url}?token=nope`, { redirect: "manual" })).status).toBe(401);
  });

  it("accepts the page's calls: the session cookie and the header", async () => {
    const cookie = await login();
    const page = await fetch(server.url, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/console/console.js");
    const paused = await api("routes/orders/pause", {
      method: "POST",
      headers: { "x-dispatcher-console": "1", cookie },
    });
    expect(paused.status).toBe(200);
    expect(routes.get("orders")?.paused).toBe(true);
    // The cookie alone (a form another page posts) is not enough either.
    expect((await api("routes/orders/resume", { method: "POST", headers: { cookie } })).status).toBe(401);
  });

  it("compares in constant time on equal-length digests, whatever length is sent", () => {
    expect(isConsoleToken(token, token)).toBe(true);
    expect(isConsoleToken(`${token}x`, token)).toBe(false);
    expect(isConsoleToken("", token)).toBe(false);
    expect(isConsoleToken(undefined, token)).toBe(false);
  });
});

describe("every console response", () => {
  it("forbids framing, limits sources to the page's own and turns sniffing off", async () => {
    const cookie = await login();
    for (const response of [
      await fetch(server.url, { headers: { cookie } }),
      await fetch(server.url),
      await fetch(`${server.url}console/console.js`),
      await api("state"),
      await fetch(`${server.url}nothing-here`),
    ]) {
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("content-security-policy")).toMatch(
        /^default-src 'self'; frame-ancestors 'none'/,
      );
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("serves every module the page imports, as JavaScript (a module the server lacks breaks the page)", async () => {
    const staticDir = fileURLToPath(new URL("../static/", import.meta.url));
    const imported = new Set(["console.js"]);
    for (const file of (await readdir(staticDir)).filter((f) => f.endsWith(".js"))) {
      const text = await readFile(`${staticDir}${file}`, "utf8");
      for (const [, name] of text.matchAll(/^import .* from "\.\/([\w.]+\.js)";$/gm))
        imported.add(name ?? "");
    }
    expect(imported.size).toBeGreaterThan(1);
    for (const name of imported) {
      const response = await fetch(`${server.url}console/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get("content-type"), name).toMatch(/^text\/javascript/);
    }
  });

  it("answers 404 for a name the asset table inherits, and 400 for a malformed % escape", async () => {
    expect((await fetch(`${server.url}console/constructor`)).status).toBe(404);
    expect((await fetch(`${server.url}console/__proto__`)).status).toBe(404);
    expect((await fetch(`${server.url}console/toString`)).status).toBe(404);
    const cookie = await login();
    const bad = await api("routes/%E0%A4%A/pause", {
      method: "POST",
      headers: { "x-dispatcher-console": "1", cookie },
    });
    expect(bad.status).toBe(400);
  });
});
