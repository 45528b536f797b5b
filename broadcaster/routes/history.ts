// GET /v1/history[?campaign=&from=&to=&step=] (the recorded time series) and GET /v1/milestones[?campaign=]; both
// are the marketers' data: behind DASHBOARD_TOKEN when it is set.

import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import { selectPoints } from "../../core/store/index.js";
import { queryParam } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { refuseUnauthorized } from "../dashboard-auth.js";
import { campaignParam, replyLater, writeError, writeJson } from "../http.js";
import { parseHistoryQuery } from "./history-query.js";
import { memoized } from "./memo.js";

const emptySeries = { seconds: [], minutes: [] };

/** A burst of dashboard reloads costs one read per campaign per second. */
const memoMs = 1000;

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const { history } = ctx.feed.data;
  const readSeries = memoized(memoMs, (campaign: string) => history.readSeries(campaign));
  const readMilestones = memoized(memoMs, (campaign: string) => history.readMilestones(campaign));

  const cacheControl = ctx.auth.enabled ? "private, max-age=1" : "public, max-age=1";
  const answer = (res: HttpResponse, body: unknown) => writeJson(res, 200, JSON.stringify(body), { "Cache-Control": cacheControl });
  // A name Redis does not know costs its one lookup (remembered a second), never a read of its history: it is
  // answered as a campaign with nothing recorded, as before (a dashboard may name a previous campaign not set up yet).
  const ifKnown = <T>(campaign: string, read: (campaign: string) => Promise<T>): Promise<T | undefined> =>
    campaign === ctx.config.campaign || ctx.store.get(campaign) !== undefined
      ? read(campaign)
      : ctx.feed.lookup(campaign).then((found) => (found === "unknown" ? undefined : read(campaign)));

  app.get("/v1/history", (res, req) => {
    if (!ctx.auth.allows(req)) return refuseUnauthorized(res, "/v1/history");
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const parsed = parseHistoryQuery(queryParam(req, "from") ?? "", queryParam(req, "to") ?? "", queryParam(req, "step") ?? "");
    if (!parsed.ok) return writeError(res, 400, "INVALID_QUERY", parsed.message);
    const { campaign } = param;
    replyLater(res, ifKnown(campaign, readSeries), (series) => {
      const { step, points } = selectPoints(series ?? emptySeries, parsed.query, Math.floor(Date.now() / 1000));
      answer(res, { campaign, step, points });
    });
  });

  app.get("/v1/milestones", (res, req) => {
    if (!ctx.auth.allows(req)) return refuseUnauthorized(res, "/v1/milestones");
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const { campaign } = param;
    replyLater(res, ifKnown(campaign, readMilestones), (milestones) => answer(res, { campaign, milestones: milestones ?? [] }));
  });
}
