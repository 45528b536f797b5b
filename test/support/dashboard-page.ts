// Helpers of the dashboard's browser tests: the sign-in as the form does it, the page's own state, a downloaded file.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { expect } from "vitest";

/** Signs in as the form does (POST /dashboard/sign-in) and returns the session cookie's value. */
export async function sessionCookie(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/dashboard/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status).toBe(303);
  return /^sc_dashboard=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";
}

export type Shown = {
  elapsedSeconds?: number;
  minuteRate?: { perMinuteTotal: number; overSeconds: number };
  bars?: { full: Array<number | null>; partial: Array<number | null> };
};

/** What the dashboard shows (its window.dashboardState): the figures, how many history loads, the chart's ticks. */
export async function shown(page: Page): Promise<{ shown: Shown; historyLoaded: number; ticks: string[] }> {
  return page.evaluate(() => {
    const s = (window as unknown as { dashboardState: { shown: unknown; historyLoaded: number; charts: { ticks: { total: string[] } } } })
      .dashboardState;
    return { shown: s.shown as never, historyLoaded: s.historyLoaded, ticks: s.charts.ticks.total };
  });
}

/** Clicks a download button and returns the file's text. */
export async function downloadText(page: Page, button: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  return readFileSync(await download.path(), "utf8");
}
