// The public viewer page in real Chromium uses the counter view at the page's rate, and still shows the exact total,
// even with DASHBOARD_TOKEN set (where the full view is refused to it).
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { viewerPageHz } from "../broadcaster/viewer-params.js";
import { collectErrors, launchBrowser, screenshot } from "./support/browser.js";
import { eventually, type Pipeline, startPipeline } from "./support/pipeline.js";

let p: Pipeline;
let browser: Browser;

beforeAll(async () => {
  p = await startPipeline({ CAMPAIGN: "pagecounter", DASHBOARD_TOKEN: "a-token-the-page-never-has" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

describe("viewer page", () => {
  it("asks for the counter view at its default rate and shows the exact total", async () => {
    await p.post(74_300_000_123);
    const page = await browser.newPage();
    const errors = collectErrors(page);
    const sockets: string[] = [];
    const frames: string[] = [];
    page.on("websocket", (socket) => {
      sockets.push(socket.url());
      socket.on("framereceived", (frame) => frames.push(String(frame.payload)));
    });
    await page.goto(`${p.base}/`);
    await page.waitForSelector("#counter[data-status=live]", { timeout: 10000 });
    expect(sockets[0]).toMatch(new RegExp(`/v1/live\\?view=counter&hz=${viewerPageHz}$`));
    await p.post(1_000_000);
    const exact = "74301000123";
    await eventually(
      async () => ((await page.getAttribute("#counter", "data-total")) === exact ? true : undefined),
      5000,
      "the exact total",
    );
    await eventually(
      async () => (((await page.textContent("#total")) ?? "").replace(/\D/g, "") === exact ? true : undefined),
      3000,
      "the shown total",
    );
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(200);
      expect(Object.keys(JSON.parse(frame) as object)).toEqual(["campaign", "epoch", "seq", "at", "currency", "total", "count"]);
    }
    await screenshot(page, "viewer-counter-view");
    expect(errors.all).toEqual([]);
    await page.close();
  });
});
