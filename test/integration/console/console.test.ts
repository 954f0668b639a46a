import { mkdir } from "node:fs/promises";
import path from "node:path";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type LocalCloud, runDev } from "@sqs-dispatcher/local";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDispatcher } from "../support/cliHarness.js";
import { waitFor } from "../support/waitFor.js";

/** Where the browser test leaves its screenshot (ignored by git). */
const outputDir = path.join("test-results", "console");
const registryQueues = ["orders", "payments.fifo", "audit"] as const;

let stop: AbortController;
let running: Promise<void>;
let cloud: LocalCloud;
let sqs: SQSClient;
let dlqUrl: (queue: string) => string;
let consoleUrl: string;
let browser: Browser;
let page: Page;
let printed = "";
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(outputDir, { recursive: true });
  stop = new AbortController();
  const ready = new Promise<void>((resolve, reject) => {
    running = runDev({
      port: 0,
      adminApiPort: 0,
      resetRoutes: true,
      enforceIam: true,
      // Small bursts, often: every queue has depth to plot within seconds.
      demoBurstSize: 40,
      demoIntervalMs: 4_000,
      statusIntervalMs: 60_000,
      logFile: path.join(outputDir, "dev.log"),
      signal: stop.signal,
      out: {
        write: (text: string) => {
          printed += text;
          return true;
        },
        isTTY: false,
      },
      onReady: (r) => {
        cloud = r.cloud;
        sqs = r.deployment.clients.sqs;
        dlqUrl = (queue) => r.deployment.queues.find((q) => q.name === queue)?.dlqUrl ?? "";
        // The URL `pnpm dev` prints, with the console's per-run secret, is the way in.
        consoleUrl = /Console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/.exec(printed)?.[1] ?? "";
        resolve();
      },
    });
    running.catch(reject);
  });
  await ready;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  // A laptop screen.
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // A Content-Security-Policy violation is logged as a console error (the browser's own favicon
  // request, answered by the admin API, is not the page's).
  page.on("console", (message) => {
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) {
      pageErrors.push(`${message.text()} (${message.location().url})`);
    }
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  stop?.abort();
  await running;
}, 60_000);

const card = (queue: string) => `section[data-queue="${queue}"]`;

async function routePaused(queue: string): Promise<boolean> {
  const out = await runDispatcher({ endpoint: cloud.endpoint, config: "dispatcher.config.ts" }, [
    "routes",
    "show",
    queue,
    "--json",
  ]);
  return (JSON.parse(out.stdout) as { paused: boolean }).paused;
}

describe("the web console of a running local platform", () => {
  it("plots every registry queue, pauses and resumes a route by keyboard, and is screenshotted", async () => {
    expect(consoleUrl).toMatch(/\?token=[\w-]{43}$/);
    const origin = consoleUrl.replace(/\/\?token=.*$/, "");
    // Without the secret a browser gets no page.
    const stranger = await browser.newPage();
    expect((await stranger.goto(`${origin}/`))?.status()).toBe(401);
    await stranger.close();

    const response = await page.goto(consoleUrl);
    expect(await page.title()).toBe("sqs-dispatcher console");
    // The token went into a cookie; the address bar (and the history) no longer hold it.
    expect(page.url()).toBe(`${origin}/`);
    expect(await response?.allHeaders()).toMatchObject({
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "content-security-policy": expect.stringMatching(/^default-src 'self'; frame-ancestors 'none'/),
    });
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });

    // Depth comes from GetMetricData on AWS/SQS, loops from the tokens: both draw once the platform runs.
    for (const queue of registryQueues) {
      for (const plot of ["depth", "loops"]) {
        // The page counts the datapoints it handed to uPlot in data-points.
        await page.waitForSelector(`${card(queue)} .plot[data-plot="${plot}"]:not([data-points="0"])`, {
          timeout: 60_000,
        });
      }
      await expect(page.locator(`${card(queue)} .plot[data-plot="depth"] canvas`).count()).resolves.toBe(1);
    }

    // A quiet route (minLoops 0) shows the shared loop that long-polls it, and its group.
    await page
      .locator(`${card("invoices")} .loops-line`, { hasText: /dedicated loops \d+ \(min 0, max 2\)/ })
      .locator(".shared", { hasText: /^shared loop group g-\d+$/ })
      .waitFor({ timeout: 60_000 });

    // Pause through the page, confirming with the keyboard.
    await expect(page.locator(card("orders")).getAttribute("data-state")).resolves.toBe("active");
    await page.locator(`${card("orders")} button[data-action="pause"]`).focus();
    // The page refreshes every few seconds; the focused button must keep the focus across it.
    const updated = await page.locator("#updated").textContent();
    // (Locators, not evaluated strings: the page's Content-Security-Policy allows no eval.)
    await waitFor(async () => (await page.locator("#updated").textContent()) !== updated, {
      timeoutMs: 15_000,
      description: "the page's next refresh",
    });
    const focused = `${await page.locator("section:has(:focus)").getAttribute("data-queue")}:${await page.locator(":focus").getAttribute("data-action")}`;
    expect(focused).toBe("orders:pause");
    await page.keyboard.press("Enter");
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor({ state: "visible" });
    await expect(page.locator("#confirm-cli").textContent()).resolves.toContain("routes set orders --paused");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${card("orders")}[data-state="paused"]`, { timeout: 15_000 });
    expect(await routePaused("orders")).toBe(true);
    await expect(page.locator(`${card("orders")} .state`).textContent()).resolves.toBe("paused");

    // Escape cancels: nothing changes.
    await page.locator(`${card("orders")} button[data-action="pause"]`).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "visible" });
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await routePaused("orders")).toBe(true);

    // Resume.
    await page.locator(`${card("orders")} button[data-action="pause"]`).click();
    await dialog.waitFor({ state: "visible" });
    await page.locator("#confirm-ok").click();
    await page.waitForSelector(`${card("orders")}[data-state="active"]`, { timeout: 15_000 });
    expect(await routePaused("orders")).toBe(false);

    // DLQ peek, confirmed, shows its result in a dialog that Escape closes.
    await page.locator(`${card("orders")} button[data-action="peek"]`).click();
    await dialog.waitFor({ state: "visible" });
    await expect(page.locator("#confirm-cli").textContent()).resolves.toContain("dlq peek orders");
    await page.keyboard.press("Enter");
    const peek = page.locator("dialog#peek");
    await peek.waitFor({ state: "visible" });
    await expect(page.locator("#peek-title").textContent()).resolves.toMatch(
      /^Dead letters of orders \(orders-dlq\)/,
    );
    await page.keyboard.press("Escape");
    await peek.waitFor({ state: "hidden" });

    // Redrive through the page: a dead letter of orders goes home, and the page reports the task.
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl("orders"), MessageBody: '{"redriven":true}' }));
    const redrive = page.locator(`${card("orders")} button[data-action="redrive"]`);
    await page.waitForSelector(`${card("orders")} button[data-action="redrive"]:not([disabled])`, {
      timeout: 15_000,
    });
    await redrive.click();
    await dialog.waitFor({ state: "visible" });
    await expect(page.locator("#confirm-cli").textContent()).resolves.toContain("dlq redrive orders");
    await page.locator("#confirm-ok").click();
    await waitFor(
      async () =>
        /redrive of orders-dlq: completed, moved 1\/1/.test(
          (await page.locator("#notice").textContent()) ?? "",
        ),
      { timeoutMs: 20_000, description: "the page to report the redrive task" },
    );

    await page.screenshot({ path: path.join(outputDir, "console.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
    // The platform ran under the stack's IAM, and nothing it did was denied.
    expect(cloud.iam.enforcing).toBe(true);
    expect(cloud.iam.usage().flatMap((u) => u.denied)).toEqual([]);
  }, 180_000);
});
