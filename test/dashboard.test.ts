// Dashboard in real Chromium: refused without its token; with it, the chart from history after a reload, goal, breakdown, milestone.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignKeys } from "../core/store/keys.js";
import { collectErrors, launchBrowser, screenshot } from "./support/browser.js";
import { eventually, type Pipeline, startPipeline } from "./support/pipeline.js";

const token = "test-dashboard-token-123";
let p: Pipeline;
let browser: Browser;

beforeAll(async () => {
  p = await startPipeline({
    CAMPAIGN: "dash",
    DASHBOARD_TOKEN: token,
    GOAL: "50000000",
    MILESTONE_STEP: "10000000",
    PREVIOUS_CAMPAIGN: "lastyear",
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

describe("dashboard", () => {
  it("refuses requests without the token or with a wrong one", async () => {
    const none = await fetch(`${p.base}/dashboard`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    expect((await fetch(`${p.base}/dashboard?token=wrong`)).status).toBe(401);
    expect((await fetch(`${p.base}/dashboard`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // The viewer page stays public.
    expect((await fetch(`${p.base}/`)).status).toBe(200);
  });

  it("renders the chart from history after a reload, the goal progress, the breakdown and a milestone", async () => {
    await p.post(8_000_000, { channel: "app", category: "shoes" });
    await p.post(4_500_000, { channel: "web", category: "outer" });
    await p.post(1_000_000, { channel: "app", category: "shoes" });
    await p.post(500_000, { type: "refund" });
    // 13,000,000 net: the 10,000,000 milestone is crossed; wait until history and the milestone are recorded.
    await eventually(
      async () => {
        const res = await fetch(`${p.base}/v1/milestones?campaign=dash`);
        const body = (await res.json()) as { milestones: Array<{ threshold: string }> };
        return body.milestones.length > 0 ? true : undefined;
      },
      10000,
      "the milestone",
    );

    // Last year's curve, as its aggregator would have recorded it (per minute), to overlay at the same elapsed time.
    const lastYear = campaignKeys("lastyear", 8).history;
    const start = Math.floor(Date.now() / 60_000) * 60 - 600;
    await p.server.cli("hset", lastYear, `m:${start}`, "1000000,1", `m:${start + 60}`, "9000000,5", `m:${start + 120}`, "20000000,9");

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = collectErrors(page);
    await page.goto(`${p.base}/dashboard?token=${token}`);
    await page.waitForSelector("body[data-status=live]", { timeout: 10000 });
    // A reload (the cookie now carries the token) draws the curve from /v1/history, not only from live frames.
    await page.goto(`${p.base}/dashboard`);
    await page.waitForSelector("body[data-status=live]", { timeout: 10000 });
    const fromHistory = await page.evaluate(
      () => (window as unknown as { dashboardState: { historyLoaded: number } }).dashboardState.historyLoaded,
    );
    expect(fromHistory).toBeGreaterThan(0);
    const previous = await page.evaluate(
      () => (window as unknown as { dashboardState: { previous: unknown[] } }).dashboardState.previous.length,
    );
    expect(previous).toBe(3);
    expect(await page.locator("#chart-total canvas").count()).toBeGreaterThan(0);
    expect(await page.locator("#chart-rate canvas").count()).toBeGreaterThan(0);

    const digits = async (selector: string) => ((await page.textContent(selector)) ?? "").replace(/\D/g, "");
    await eventually(async () => ((await digits("#kpi-total")) === "13000000" ? true : undefined), 5000, "the total KPI");
    expect(await digits("#kpi-count")).toBe("3");
    expect(await digits("#kpi-aov")).toBe("4333333");
    expect(await page.textContent("#goal-percent")).toContain("26.0%");
    expect(await page.textContent("#goal-pace")).toMatch(/\d{2}:\d{2}|목표/);
    expect(await page.textContent("#channels")).toContain("app");
    expect(await page.textContent("#categories")).toContain("shoes");
    await page.waitForSelector("#milestones li[data-threshold='10000000']", { timeout: 10000 });
    await screenshot(page, "dashboard");
    expect(errors.all).toEqual([]);
    await page.close();
  });
});
