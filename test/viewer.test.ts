// Viewer page in real Chromium: live updates, recovery after a broadcaster restart, SSE when WebSocket is blocked, the widget.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { collectErrors, launchBrowser, screenshot } from "./support/browser.js";
import { testConfig } from "./support/config.js";
import { payment } from "./support/counters.js";
import { freePort, RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let runtime: IngestRuntime;
let gateway: RunningGateway;
let aggregator: Aggregator;
let broadcaster: Broadcaster;
let browser: Browser;
let config: Config;
let base: string;

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({
    REDIS_URL: server.url,
    CAMPAIGN: "viewer",
    SHARDS: "8",
    HEARTBEAT_MS: "1000",
    INGEST_PORT: "0",
    BROADCASTER_PORT: String(await freePort()),
  });
  runtime = createIngestRuntime(config);
  gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  aggregator = await startAggregator({ config });
  broadcaster = await startBroadcaster({ config });
  base = `http://127.0.0.1:${broadcaster.port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await broadcaster?.close();
  await aggregator?.stop();
  await gateway?.close();
  runtime?.redis.disconnect();
  await server?.stop();
});

async function post(amount: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payment({ amount })),
  });
  expect(res.status).toBe(200);
}

async function currentTotal(): Promise<bigint> {
  const res = await fetch(`${base}/v1/total`);
  return BigInt(((await res.json()) as { total: string }).total);
}

/** Resolves once the digits shown in #total equal `expected` (what a shopper reads, not a data attribute). */
function waitForShownTotal(page: Page, expected: bigint, timeoutMs: number): Promise<unknown> {
  return page.waitForFunction(
    (want) => (document.getElementById("total")?.textContent ?? "").replace(/\D/g, "") === want,
    expected.toString(),
    { timeout: timeoutMs, polling: 20 },
  );
}

async function openViewer(path = "/"): Promise<{ page: Page; errors: ReturnType<typeof collectErrors> }> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors = collectErrors(page);
  await page.goto(`${base}${path}`);
  await page.waitForSelector("#counter[data-status=live]", { timeout: 10000 });
  return { page, errors };
}

describe("viewer page", () => {
  it("shows a posted payment's new total within 1 s over WebSocket, without console errors", async () => {
    const { page, errors } = await openViewer();
    expect(await page.getAttribute("#counter", "data-transport")).toBe("ws");
    const expected = (await currentTotal()) + 1_234_567n;
    const started = Date.now();
    await post(1_234_567);
    // The page has the new total within 1 s (a fold, then its next frame at viewerPageHz = 2 Hz: at most 0.6 s);
    // the digits finish counting up one animation (400 ms) after that frame.
    await page.waitForFunction((want) => document.getElementById("counter")?.dataset.total === want, expected.toString(), {
      timeout: 1000,
      polling: 20,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await waitForShownTotal(page, expected, 1000);
    expect(Date.now() - started).toBeLessThan(1400);
    // Thousands separators and the won sign, as a shopper sees them.
    expect(await page.textContent("#total")).toMatch(/^₩\d{1,3}(,\d{3})*$/);
    await screenshot(page, "viewer-phone-390x844");
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("recovers by itself after the broadcaster restarts, showing reconnecting instead of a stale live number", async () => {
    const { page, errors } = await openViewer();
    const before = await currentTotal();
    await broadcaster.close();
    await page.waitForSelector("#counter[data-status=reconnecting]", { timeout: 10000 });
    expect(await page.getAttribute("#counter", "class")).toContain("stale");
    await post(700_000);
    broadcaster = await startBroadcaster({ config });
    await waitForShownTotal(page, before + 700_000n, 20000);
    await page.waitForSelector("#counter[data-status=live]", { timeout: 5000 });
    expect(errors.unexpected()).toEqual([]);
    await page.close();
  });

  it("falls back to Server-Sent Events when WebSocket is blocked", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    // A proxy that kills every WebSocket: the page never gets a frame over /v1/live.
    await page.routeWebSocket(/\/v1\/live/, (ws) => ws.close({ code: 1011, reason: "blocked by test proxy" }));
    await page.goto(`${base}/`);
    await page.waitForSelector("#counter[data-status=live][data-transport=sse]", { timeout: 15000 });
    const expected = (await currentTotal()) + 55_000n;
    await post(55_000);
    await waitForShownTotal(page, expected, 3000);
    expect(errors.unexpected()).toEqual([]);
    await page.close();
  });

  it("returns to WebSocket once it is no longer blocked", async () => {
    const page = await browser.newPage();
    let blocked = true;
    await page.routeWebSocket(/\/v1\/live/, (ws) => {
      if (blocked) ws.close({ code: 1011, reason: "blocked by test proxy" });
      else ws.connectToServer();
    });
    await page.goto(`${base}/`);
    await page.waitForSelector("#counter[data-status=live][data-transport=sse]", { timeout: 15000 });
    blocked = false;
    // The probe interval is a minute by default; shorten it instead of waiting.
    await page.evaluate(() => {
      const client = (window as unknown as { salesCounter: { upgradeAfterMs: number; scheduleUpgrade(): void } }).salesCounter;
      client.upgradeAfterMs = 200;
      client.scheduleUpgrade();
    });
    await page.waitForSelector("#counter[data-status=live][data-transport=ws]", { timeout: 10000 });
    const expected = (await currentTotal()) + 11_000n;
    await post(11_000);
    await waitForShownTotal(page, expected, 3000);
    await page.close();
  });

  it("polls GET /v1/total with an ETag when both WebSocket and SSE are blocked", async () => {
    const page = await browser.newPage();
    await page.routeWebSocket(/\/v1\/live/, (ws) => ws.close({ code: 1011, reason: "blocked by test proxy" }));
    await page.route(/\/v1\/stream/, (route) => route.abort("connectionrefused"));
    const conditional: string[] = [];
    page.on("request", (req) => {
      if (req.url().includes("/v1/total") && req.headers()["if-none-match"]) conditional.push(req.url());
    });
    await page.goto(`${base}/`);
    await page.waitForSelector("#counter[data-status=live][data-transport=poll]", { timeout: 20000 });
    const expected = (await currentTotal()) + 42_000n;
    await post(42_000);
    await waitForShownTotal(page, expected, 5000);
    expect(conditional.length).toBeGreaterThan(0);
    await page.close();
  });

  it("ignores a snapshot with a lower seq in the same epoch and never counts backwards", async () => {
    const { page } = await openViewer();
    const shown = await page.getAttribute("#counter", "data-total");
    const result = await page.evaluate(() => {
      const client = (
        window as unknown as {
          salesCounter: { last: { epoch: string; seq: number }; generation: number; receive(g: number, t: string): void };
        }
      ).salesCounter;
      const { epoch, seq } = client.last;
      client.receive(client.generation, JSON.stringify({ epoch, seq: seq - 1, total: "1", count: 1, currency: "KRW" }));
      return document.getElementById("counter")?.dataset.total;
    });
    expect(result).toBe(shown);
    await page.close();
  });

  it("embeds the same counter on another page with one script tag", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.setContent(`<html><body><h1>Event</h1><script src="${base}/widget.js"></script></body></html>`);
    await page.waitForSelector(".sales-counter-widget[data-status=live]", { timeout: 10000 });
    const expected = (await currentTotal()) + 9_000n;
    await post(9_000);
    // The number lives in the widget's shadow root.
    await page.waitForFunction(
      (want) =>
        (document.querySelector(".sales-counter-widget")?.shadowRoot?.querySelector(".sc-total")?.textContent ?? "").replace(/\D/g, "") ===
        want,
      expected.toString(),
      { timeout: 3000 },
    );
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("serves assets from memory with a content type and an ETag", async () => {
    const res = await fetch(`${base}/static/viewer.js`);
    expect(res.headers.get("content-type")).toContain("text/javascript");
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"/);
    expect((await fetch(`${base}/static/viewer.js`, { headers: { "if-none-match": etag! } })).status).toBe(304);
    expect((await fetch(`${base}/`)).headers.get("content-type")).toContain("text/html");
  });
});
