// Dashboard in real Chromium against a real pipeline: refused without its token, signed in through its form (live
// breakdowns over the cookie-authenticated full view); right in a fresh campaign's first
// seconds (no projection, rates over elapsed time, KST axes while the browser is in Los Angeles, CSV); live KPIs before
// the history; history, previous campaign ratio, breakdowns, past the goal, milestones newest first; a phone layout.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import { campaignKeys } from "../core/store/keys.js";
import { collectErrors, launchBrowser, screenshot } from "./support/browser.js";
import { testConfig } from "./support/config.js";
import { downloadText, sessionCookie, shown } from "./support/dashboard-page.js";
import { eventually, type Pipeline, sleep, startPipeline } from "./support/pipeline.js";

const token = "test-dashboard-token-123";
let p: Pipeline;
let browser: Browser;
let context: BrowserContext;
let startedAtMs: number;
let plain: Broadcaster | undefined;

beforeAll(async () => {
  startedAtMs = Date.now();
  p = await startPipeline({
    CAMPAIGN: "dash",
    DASHBOARD_TOKEN: token,
    GOAL: "50000000",
    MILESTONE_STEP: "5000000",
    PREVIOUS_CAMPAIGN: "lastyear",
    CAMPAIGN_END: new Date(Date.now() + 2 * 3600_000).toISOString(),
    CHANNEL_LABELS: "app=모바일 앱,web=웹",
  });
  browser = await launchBrowser();
  // The marketer's laptop is in Los Angeles; the campaign's clocks must still read KST.
  context = await browser.newContext({ timezoneId: "America/Los_Angeles", viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  await context.addCookies([{ name: "sc_dashboard", value: await sessionCookie(p.base, token), url: p.base }]);
});
afterAll(async () => {
  await browser?.close();
  await plain?.close();
  await p?.stop();
});

const digits = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? "").replace(/\D/g, "");

async function openDashboard(page: Page, base = p.base): Promise<void> {
  await page.goto(`${base}/dashboard`);
  await page.waitForSelector("body[data-status=live]", { timeout: 10000 });
}

const kstHour = (ms: number) => new Intl.DateTimeFormat("en-US", { timeZone: "Asia/Seoul", hour: "2-digit", hourCycle: "h23" }).format(ms);

describe("dashboard", () => {
  it("in a fresh campaign's first seconds: no projection yet, rates over the elapsed time, KST 24-hour axes, CSV of the history", async () => {
    await p.post(600_000, { channel: "app" });
    await p.post(900_000, { channel: "web" });
    await sleep(Math.max(0, startedAtMs + 5000 - Date.now()));
    const page = await context.newPage();
    const errors = collectErrors(page);
    await openDashboard(page);
    await eventually(async () => ((await digits(page, "#kpi-total")) === "1500000" ? true : undefined), 5000, "the total KPI");
    await eventually(async () => ((await shown(page)).historyLoaded > 0 ? true : undefined), 5000, "the history");
    await page.waitForTimeout(1100); // one chart refresh with the history in
    const state = await shown(page);

    expect(await page.textContent("#goal-pace")).toContain("60초 뒤부터 계산");
    expect(await page.textContent("#goal-pace")).not.toMatch(/\d{2}:\d{2}/);
    const rate = state.shown.minuteRate;
    expect(rate && rate.overSeconds < 60).toBe(true);
    // Per minute over the seconds elapsed: 1,500,000 in ~6 s is ~15,000,000 a minute, not 1,500,000.
    expect(Math.round(rate?.perMinuteTotal ?? 0)).toBe(Math.round((1_500_000 * 60) / (rate?.overSeconds ?? 1)));
    expect(Number(await digits(page, "#kpi-pm-total"))).toBeGreaterThan(1_500_000 * 5);
    expect(await page.textContent("#kpi-pm-note")).toMatch(/처음 \d+초 기준 환산/);
    // The first minute is not 0: everything sold so far is in the bars (the current minute drawn as partial).
    const bars = state.shown.bars;
    const sum = [...(bars?.full ?? []), ...(bars?.partial ?? [])].reduce<number>((a, v) => a + (v ?? 0), 0);
    expect(sum).toBe(1_500_000);
    expect(bars?.full[0] ?? bars?.partial[0]).toBeGreaterThan(0);
    // Time axis ticks in KST, 24-hour (the browser's zone is 17 hours behind).
    expect(state.ticks.length).toBeGreaterThan(0);
    for (const tick of state.ticks) expect(tick).toMatch(/^(\d+월 \d+일 )?\d{2}:\d{2}(:\d{2})?$/);
    const hours = new Set(state.ticks.map((t) => /(\d{2}):\d{2}/.exec(t)?.[1]));
    expect(hours.has(kstHour(Date.now())) || hours.has(kstHour(Date.now() - 60_000))).toBe(true);
    expect(await page.textContent("#chart-total")).toContain("시각 (KST)");

    const csv = await downloadText(page, "#export-history");
    const lines = csv.replace(/^\uFEFF/, "").split("\r\n");
    expect(lines[0]).toBe("시각 (KST),누적 금액 (순매출),누적 결제 건수,분당 금액");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00,1500000,2,/);
    const breakdown = await downloadText(page, "#export-breakdown");
    expect(breakdown).toContain("채널,app,모바일 앱,1,600000,40.00");
    await screenshot(page, "dashboard-fresh-5s-1280x1000");
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("refuses requests without the token or with a wrong one", async () => {
    const none = await fetch(`${p.base}/dashboard`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    expect((await fetch(`${p.base}/dashboard?token=wrong`)).status).toBe(401);
    expect((await fetch(`${p.base}/dashboard`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // The viewer page stays public.
    expect((await fetch(`${p.base}/`)).status).toBe(200);
  });

  it("shows the live KPIs before the history has loaded", async () => {
    const page = await context.newPage();
    await page.route(/\/v1\/history/, async (route) => {
      await sleep(2000);
      await route.continue();
    });
    await openDashboard(page);
    await eventually(async () => ((await digits(page, "#kpi-total")) === "1500000" ? true : undefined), 1500, "the total KPI");
    expect((await shown(page)).historyLoaded).toBe(0);
    await page.close();
  });

  it("renders history after a reload, the previous campaign at the same elapsed time, labelled breakdowns with shares, past the goal, milestones newest first", async () => {
    await p.post(7_400_000, { channel: "app", category: "shoes" });
    await p.post(4_600_000, { channel: "web", category: "outer" });
    await p.post(500_000, { type: "refund" });
    // Last year's curve, as its aggregator would have recorded it (per minute), to overlay at the same elapsed time,
    // and the last snapshot it published (what makes it a campaign the broadcaster knows).
    const lastYear = campaignKeys("lastyear", 8);
    const start = Math.floor(Date.now() / 60_000) * 60 - 600;
    await p.server.cli(
      "hset",
      lastYear.history,
      `m:${start}`,
      "1000000,1",
      `m:${start + 60}`,
      "9000000,5",
      `m:${start + 120}`,
      "20000000,9",
    );
    const lastSnapshot = {
      campaign: "lastyear",
      epoch: "e2019",
      seq: 99,
      at: new Date(start * 1000).toISOString(),
      currency: "KRW",
      total: "20000000",
      count: 9,
    };
    await p.server.cli("set", lastYear.latest, JSON.stringify(lastSnapshot));
    // A broadcaster remembers for a second that a name was unknown (one Redis lookup per name per second): wait until it
    // serves last year's curve, as a dashboard opened a moment later would get it.
    const lastYearPoints = async () =>
      (
        (await (
          await fetch(`${p.base}/v1/history?campaign=lastyear&step=60`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { points: unknown[] }
      ).points;
    await eventually(async () => ((await lastYearPoints()).length === 3 ? true : undefined), 5000, "last year's history");
    await eventually(
      async () =>
        ((await (await fetch(`${p.base}/v1/total?view=counter`)).json()) as { total: string }).total === "13000000" ? true : undefined,
      5000,
      "13,000,000",
    );

    const page = await context.newPage();
    const errors = collectErrors(page);
    await openDashboard(page);
    await eventually(async () => ((await digits(page, "#kpi-total")) === "13000000" ? true : undefined), 5000, "the total KPI");
    await eventually(async () => ((await shown(page)).historyLoaded > 0 ? true : undefined), 5000, "the history");
    expect(await page.locator("#chart-total canvas").count()).toBeGreaterThan(0);
    expect(await digits(page, "#kpi-count")).toBe("4");
    // Net average (13,000,000 / 4) first, gross (13,500,000 / 4) beside it, both named.
    expect(await digits(page, "#kpi-aov")).toBe("3250000");
    expect(await page.textContent("#kpi-aov-detail")).toBe("순매출 기준 ₩3,250,000 · 총매출 기준 ₩3,375,000");
    expect(await page.textContent("#kpi-refund-rate")).toContain("25.0%");
    await page.click("#basis-gross");
    expect(await digits(page, "#kpi-total")).toBe("13500000");
    await page.click("#basis-net");
    expect(await page.textContent("#goal-percent")).toContain("26.0%");
    expect(await page.textContent("#goal-left")).toBe("목표까지 ₩37,000,000 남음");
    expect(await page.textContent("#goal-deadline")).toMatch(/^마감 .+까지 .+: 분당 ₩[\d,]+ 필요/);
    // Same elapsed time (under a minute) of last year: 1,000,000.
    await page.waitForFunction(() => document.getElementById("kpi-previous")?.textContent === "x13.0", undefined, { timeout: 3000 });
    expect(await page.locator("#channels thead th").allTextContents()).toEqual(["채널", "결제 건수", "금액", "비중"]);
    expect(await page.textContent("#channels tbody tr[data-id=app]")).toBe("모바일 앱2건₩8,000,00061.5%");
    await screenshot(page, "dashboard-1280x1000");

    // Past the goal: the real share and when it was reached.
    await p.post(40_000_000, { channel: "app" });
    await p.post(44_000_000, { channel: "web" });
    await eventually(async () => ((await page.textContent("#goal-percent"))?.includes("194.0%") ? true : undefined), 5000, "194.0%");
    expect(await page.textContent("#goal-pace")).toMatch(/^목표 달성 · \d+월 \d+일 \d{2}:\d{2}:\d{2} \(KST\)$/);
    expect(await page.textContent("#goal-left")).toBe("목표 초과 ₩47,000,000");
    // 19 milestones of 5,000,000: the newest first, ten of them, then "more".
    await page.waitForSelector("#milestones li[data-threshold='95000000']", { timeout: 10000 });
    const thresholds = async () =>
      page.locator("#milestones li").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.threshold));
    expect((await thresholds())[0]).toBe("95000000");
    expect((await thresholds()).length).toBe(10);
    expect(await page.textContent("#milestones-more")).toBe("더 보기 (9개)");
    await page.click("#milestones-more");
    expect((await thresholds()).length).toBe(19);
    expect(await page.textContent("#milestones li:last-child")).toMatch(/^500만 원 돌파 · \d+월 \d+일 \d{2}:\d{2}:\d{2}$/);
    // How each time was known and the delivery state ride along as attributes and a tooltip (no target configured here).
    const details = await page
      .locator("#milestones li")
      .evaluateAll((els) =>
        els.map((e) => [(e as HTMLElement).dataset.timing, (e as HTMLElement).dataset.delivery, e.getAttribute("title")]),
      );
    for (const [timing, delivery, title] of details) {
      expect(["exact", "estimated"]).toContain(timing);
      expect(delivery).toBe("none");
      expect(title).toMatch(timing === "estimated" ? /^추정 시각 \(/ : /^실시간 기록$/);
    }
    await screenshot(page, "dashboard-past-goal-1280x1000");
    expect(errors.all).toEqual([]);
    await page.close();
  });

  it("on a 360 px phone and a 1920 px wall screen no KPI number is clipped", async () => {
    for (const [width, height, name] of [
      [360, 800, "dashboard-phone-360x800"],
      [1920, 1080, "dashboard-wall-1920x1080"],
    ] as const) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      await openDashboard(page);
      await eventually(async () => ((await digits(page, "#kpi-total")) === "97000000" ? true : undefined), 5000, "the total KPI");
      const clipped = await page
        .locator(".kpi p")
        .evaluateAll((els) =>
          els.filter((e) => e.scrollWidth > e.clientWidth || e.getBoundingClientRect().right > window.innerWidth).map((e) => e.id),
        );
      expect(clipped, name).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(page, name);
      await page.close();
    }
  });

  it("has no previous-campaign legend or tile when none is configured", async () => {
    plain = await startBroadcaster({
      config: testConfig({ REDIS_URL: p.server.url, CAMPAIGN: "dash", SHARDS: "8", DASHBOARD_TOKEN: token, BROADCASTER_PORT: "0" }),
    });
    const base = `http://127.0.0.1:${plain.port}`;
    const page = await context.newPage();
    await context.addCookies([{ name: "sc_dashboard", value: await sessionCookie(base, token), url: base }]);
    await openDashboard(page, base);
    expect(await page.textContent("#chart-total")).not.toContain("이전 캠페인");
    expect(await page.isHidden("#kpi-previous-tile")).toBe(true);
    await page.close();
  });
  it("signs in through the form (the token never in a URL) and shows the breakdowns live", async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await fresh.newPage();
    const errors = collectErrors(page);
    await page.goto(`${p.base}/dashboard`);
    await screenshot(page, "dashboard-sign-in-1280x1000");
    await page.fill("#token", "wrong");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    expect(await page.textContent("#sign-in-error")).toContain("wrong token");
    await screenshot(page, "dashboard-sign-in-wrong-token-1280x1000");
    await page.fill("#token", token);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    expect(page.url()).toBe(`${p.base}/dashboard`);
    await page.waitForSelector("body[data-status=live]", { timeout: 10000 });
    // The form page and the wrong attempt were 401s (the browser logs them); nothing after signing in may fail.
    expect(errors.all.every((e) => e.includes("status of 401"))).toBe(true);
    const before = errors.all.length;
    const cookie = (await fresh.cookies()).find((c) => c.name === "sc_dashboard");
    expect(cookie).toMatchObject({ path: "/", httpOnly: true, sameSite: "Strict" });
    expect(cookie?.value).not.toContain(token);
    // A payment from a new channel reaches the breakdown without a reload: the full view over the cookie.
    await p.post(300_000, { channel: "kiosk", category: "bags" });
    await page.waitForSelector("#channels tbody tr[data-id=kiosk]", { timeout: 5000 });
    await page.waitForSelector("#categories tbody tr[data-id=bags]", { timeout: 5000 });
    expect(errors.all.slice(before)).toEqual([]);
    await fresh.close();
  });
});
