// GET /dashboard: the marketer dashboard, behind DASHBOARD_TOKEN (?token= once, then an HttpOnly cookie). The viewer page stays public.

import type { HttpRequest, TemplatedApp } from "uWebSockets.js";
import { createHash, timingSafeEqual } from "node:crypto";
import { queryParam } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { writeError } from "../http.js";
import { fillTemplate, getAndHead, pageAssets, staleAfterMs } from "./pages.js";
import { loadPublic, writeAsset } from "./pages-assets.js";

const cookieName = "sc_dashboard";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The token from ?token=, Authorization: Bearer, or our cookie; compared in constant time. */
export function presentedToken(req: HttpRequest): string | undefined {
  const query = queryParam(req, "token");
  if (query) return query;
  const auth = req.getHeader("authorization");
  if (auth.startsWith("Bearer ")) return auth.slice(7);
  for (const part of req.getHeader("cookie").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === cookieName) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const { config } = ctx;
  const expected = config.dashboardToken === undefined ? undefined : digest(config.dashboardToken);
  const settings = JSON.stringify({
    campaign: config.campaign,
    goal: config.goal?.toString() ?? null,
    milestoneStep: config.milestoneStep?.toString() ?? null,
    previousCampaign: config.previousCampaign ?? null,
    campaignStart: config.campaignStart ?? null,
    campaignEnd: config.campaignEnd ?? null,
    timeZone: config.timeZone,
    channelLabels: config.channelLabels,
    categoryLabels: config.categoryLabels,
    staleAfterMs: staleAfterMs(config.heartbeatMs),
  })
    .replaceAll("&", "&amp;")
    .replaceAll('"', "&quot;")
    .replaceAll("<", "&lt;");
  const page = loadPublic("dashboard.html", (text) => fillTemplate(text, pageAssets(ctx), { SETTINGS: settings }));

  getAndHead(app, "/dashboard", (res, req, request) => {
    if (expected === undefined) {
      return writeError(res, 403, "DASHBOARD_DISABLED", "the dashboard is off: set DASHBOARD_TOKEN to turn it on");
    }
    const token = presentedToken(req);
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      return writeError(res, 401, "UNAUTHORIZED", "the dashboard needs its token: /dashboard?token=<DASHBOARD_TOKEN>");
    }
    const cookie = `${cookieName}=${encodeURIComponent(token)}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=604800`;
    writeAsset(res, page, request, { "Set-Cookie": cookie, "Cache-Control": "private, no-cache" });
  });
}
