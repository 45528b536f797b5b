// GET /v1/history[?campaign=&from=&to=&step=] (the recorded time series) and GET /v1/milestones[?campaign=].

import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import { parseMilestones } from "../../aggregator/milestones.js";
import { campaignKeys } from "../../core/keys.js";
import { createRedis, type RedisClient } from "../../core/redis.js";
import { queryParam } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { campaignParam, replyLater, writeError, writeJson } from "../http.js";
import { parseHistoryQuery, selectPoints } from "./history-query.js";

/** A burst of dashboard reloads costs one HGETALL per campaign per second. */
const memoMs = 1000;

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  let redis: RedisClient | undefined;
  const client = () => {
    if (!redis) {
      redis = createRedis(ctx.config, { name: "broadcaster-history", lazy: true });
      redis.on("error", () => undefined);
    }
    return redis;
  };
  ctx.onClose(() => redis?.disconnect());

  const memo = new Map<string, { atMs: number; value: Promise<Record<string, string>> }>();
  const readHash = (key: string) => {
    const hit = memo.get(key);
    if (hit && Date.now() - hit.atMs < memoMs) return hit.value;
    const value = client().hgetall(key);
    if (memo.size > 1000) memo.clear();
    memo.set(key, { atMs: Date.now(), value });
    value.catch(() => memo.delete(key));
    return value;
  };

  const answer = (res: HttpResponse, body: unknown) => writeJson(res, 200, JSON.stringify(body), { "Cache-Control": "public, max-age=1" });

  app.get("/v1/history", (res, req) => {
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const parsed = parseHistoryQuery(queryParam(req, "from") ?? "", queryParam(req, "to") ?? "", queryParam(req, "step") ?? "");
    if (!parsed.ok) return writeError(res, 400, "INVALID_QUERY", parsed.message);
    const { campaign } = param;
    const keys = campaignKeys(campaign, ctx.config.shards);
    replyLater(res, readHash(keys.history), (hash) => {
      const { step, points } = selectPoints(hash, parsed.query, Math.floor(Date.now() / 1000));
      answer(res, { campaign, step, points });
    });
  });

  app.get("/v1/milestones", (res, req) => {
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const { campaign } = param;
    const keys = campaignKeys(campaign, ctx.config.shards);
    replyLater(res, readHash(keys.milestones), (hash) => answer(res, { campaign, milestones: parseMilestones(hash) }));
  });
}
