// Viewer client in real Chromium against a real broadcaster and Redis: the first number within 2 s on any path, a
// refused WebSocket falls back, and a stalled pipeline causes no reconnect loop (upgrades counted for 20 s).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import { collectErrors, launchBrowser } from "./support/browser.js";
import { testConfig } from "./support/config.js";
import { CountingProxy } from "./support/counting-proxy.js";
import { eventually, type Pipeline, sleep, startPipeline } from "./support/pipeline.js";

let p: Pipeline;
let browser: Browser;
let proxy: CountingProxy;
let full: Broadcaster | undefined;

beforeAll(async () => {
  p = await startPipeline({ CAMPAIGN: "transports" });
  proxy = await CountingProxy.start(p.broadcaster.port);
  browser = await launchBrowser();
  await p.post(1_234_000);
});
afterAll(async () => {
  await browser?.close();
  await full?.close();
  await proxy?.close();
  await p?.stop();
});

async function currentTotal(base = p.base): Promise<string> {
  return ((await (await fetch(`${base}/v1/total`)).json()) as { total: string }).total;
}

/** Milliseconds from navigation until the digits a shopper reads equal the broadcaster's total. */
async function timeToFirstNumber(page: Page, url: string): Promise<number> {
  const want = await currentTotal();
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction((w) => (document.getElementById("total")?.textContent ?? "").replace(/\D/g, "") === w, want, {
    timeout: 10000,
    polling: 20,
  });
  return Date.now() - started;
}

/** Records every data-status the counter takes, with the time, from the page's first script on. */
async function recordStatuses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: Array<{ t: number; status: string }> = [];
    (window as unknown as { statusLog: typeof log }).statusLog = log;
    document.addEventListener("DOMContentLoaded", () => {
      const root = document.getElementById("counter") as HTMLElement;
      new MutationObserver(() => log.push({ t: Date.now(), status: root.dataset.status ?? "" })).observe(root, {
        attributes: true,
        attributeFilter: ["data-status"],
      });
    });
  });
}

describe("first number on any path", () => {
  it("shows the total within 2 s when a proxy accepts the WebSocket and never delivers, then moves to SSE", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    // Not connected to the server: the page's socket opens and stays silent.
    await page.routeWebSocket(/\/v1\/live/, () => undefined);
    expect(await timeToFirstNumber(page, `${p.base}/`)).toBeLessThan(2000);
    await page.waitForSelector("#counter[data-status=live][data-transport=sse]", { timeout: 8000 });
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("shows the total within 2 s when WebSocket and SSE both hang, then polls", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.routeWebSocket(/\/v1\/live/, () => undefined);
    // The stream request is never answered.
    await page.route(/\/v1\/stream/, () => undefined);
    expect(await timeToFirstNumber(page, `${p.base}/`)).toBeLessThan(2000);
    await page.waitForSelector("#counter[data-status=live][data-transport=poll]", { timeout: 12000 });
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("shows the total within 2 s without uncaught errors where WebSocket is undefined", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.addInitScript(() => {
      Object.defineProperty(window, "WebSocket", { value: undefined, configurable: true, writable: true });
    });
    expect(await timeToFirstNumber(page, `${p.base}/`)).toBeLessThan(2000);
    await page.waitForSelector("#counter[data-status=live][data-transport=sse]", { timeout: 5000 });
    expect(errors.all).toEqual([]);
    await page.close();
  });
});

describe("a refused WebSocket", () => {
  /** A second broadcaster on the same Redis that holds one live connection at most. */
  async function startFull(): Promise<Broadcaster> {
    full ??= await startBroadcaster({
      config: testConfig({ REDIS_URL: p.server.url, CAMPAIGN: "transports", SHARDS: "8", MAX_CONNECTIONS: "1", BROADCASTER_PORT: "0" }),
    });
    return full;
  }

  /** Takes the broadcaster's only slot, retrying while a closing connection still holds it. */
  async function holdSlot(port: number): Promise<WebSocket> {
    return eventually(
      () =>
        new Promise<WebSocket | undefined>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/live`);
          ws.once("open", () => resolve(ws));
          ws.once("error", () => resolve(undefined));
          ws.once("unexpected-response", () => resolve(undefined));
        }),
      5000,
      "a free connection slot",
    );
  }

  it("falls back from WebSocket that worked before once reconnects are refused, through SSE to polling", async () => {
    const b = await startFull();
    const base = `http://127.0.0.1:${b.port}`;
    const page = await browser.newPage();
    const errors = collectErrors(page);
    const routes: Array<{ close(): Promise<void> }> = [];
    await page.routeWebSocket(/\/v1\/live/, (ws) => {
      routes.push(ws);
      ws.connectToServer();
    });
    await page.goto(`${base}/`);
    await page.waitForSelector("#counter[data-status=live][data-transport=ws]", { timeout: 5000 });
    // The connection drops and another viewer takes the only slot: every reconnect now gets 503.
    await routes[0]?.close();
    const holder = await holdSlot(b.port);
    await page.waitForSelector("#counter[data-status=live][data-transport=poll]", { timeout: 10000 });
    expect(await page.getAttribute("#counter", "data-total")).toBe(await currentTotal(base));
    expect(errors.unexpected()).toEqual([]);
    holder.close();
    await page.close();
  });

  it("falls back to polling on a first visit refused with 503 TOO_MANY_CONNECTIONS, showing the total at once", async () => {
    const b = await startFull();
    const holder = await holdSlot(b.port);
    const refusal = await new Promise<number>((resolve) => {
      const second = new WebSocket(`ws://127.0.0.1:${b.port}/v1/live`);
      second.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      second.once("open", () => resolve(101));
    });
    expect(refusal).toBe(503);
    const page = await browser.newPage();
    const errors = collectErrors(page);
    expect(await timeToFirstNumber(page, `http://127.0.0.1:${b.port}/`)).toBeLessThan(2000);
    await page.waitForSelector("#counter[data-status=live][data-transport=poll]", { timeout: 10000 });
    expect(errors.unexpected()).toEqual([]);
    holder.close();
    await page.close();
  });
});

describe("a stalled pipeline", () => {
  it("causes no reconnect loop: over 20 s each viewer reconnects at most once, shows stale, never live, and recovers", async () => {
    const base = `http://127.0.0.1:${proxy.port}`;
    const pages: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage();
      await recordStatuses(page);
      await page.goto(`${base}/`);
      pages.push(page);
    }
    // One more on polling: its 304s must not keep a frozen number "live".
    const poller = await browser.newPage();
    await recordStatuses(poller);
    await poller.routeWebSocket(/\/v1\/live/, (ws) => ws.close({ code: 1011, reason: "blocked by test proxy" }));
    await poller.route(/\/v1\/stream/, (route) => route.abort("connectionrefused"));
    await poller.goto(`${base}/`);
    for (const page of pages) await page.waitForSelector("#counter[data-status=live][data-transport=ws]", { timeout: 5000 });
    await poller.waitForSelector("#counter[data-status=live][data-transport=poll]", { timeout: 10000 });

    // The aggregator stops: the broadcaster keeps serving (and re-sending on connect) its cached snapshot.
    const stalledAt = Date.now();
    await p.aggregator.stop();
    await sleep(20_000);
    const upgrades = proxy.upgradesSince(stalledAt);
    const staleAfterMs = 5000;
    for (const page of [...pages, poller]) {
      expect(await page.getAttribute("#counter", "data-status")).toBe("stale");
      const log = await page.evaluate(() => (window as unknown as { statusLog: Array<{ t: number; status: string }> }).statusLog);
      // Live until the heartbeats stop counting (staleAfterMs), stale from then on: a re-sent snapshot never revives "live".
      expect(log.filter((e) => e.t > stalledAt + staleAfterMs + 500 && e.status === "live")).toEqual([]);
      expect(log.some((e) => e.t > stalledAt && e.status === "stale")).toBe(true);
    }
    // The previous client reconnected every ~5.5 s (9 upgrades for these 3 viewers in 20 s); now the first resync
    // comes 15-30 s after the number went stale (at most one each here).
    expect(upgrades).toBeLessThanOrEqual(pages.length);
    expect((await fetch(`${p.base}/v1/total`)).status).toBe(200);

    // The pipeline comes back: the kept connections go live again without a reconnect storm.
    const resumedAt = Date.now();
    p.aggregator = await startAggregator({ config: p.config });
    for (const page of [...pages, poller]) await page.waitForSelector("#counter[data-status=live]", { timeout: 5000 });
    expect(proxy.upgradesSince(resumedAt)).toBeLessThanOrEqual(pages.length);
    for (const page of [...pages, poller]) await page.close();
  }, 45_000);
});
