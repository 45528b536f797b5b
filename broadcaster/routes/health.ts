// GET /healthz (the process runs) and GET /readyz (Redis up, subscribed, and the configured campaign's snapshot is fresh;
// a degraded snapshot, the last good number republished while the counters are below it, is said so).

import type { TemplatedApp } from "uWebSockets.js";
import type { BroadcasterContext } from "../context.js";
import { writeJson } from "../http.js";

/** Heartbeats missed before a broadcaster calls its data stale. */
export const staleAfterHeartbeats = 3;

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: string[];
  readonly snapshotAgeMs: number | undefined;
}

export function readiness(ctx: BroadcasterContext, nowMs = Date.now()): Readiness {
  const reasons: string[] = [];
  const feed = ctx.feed.readiness();
  if (!feed.redisReady) reasons.push(`redis connection is ${feed.redisStatus}`);
  if (!feed.subscribed) reasons.push(`snapshot subscription is not active (subscriber ${feed.subscriberStatus})`);
  const { campaign, heartbeatMs } = ctx.config;
  const entry = ctx.store.get(campaign);
  const staleAfterMs = staleAfterHeartbeats * heartbeatMs;
  // Judged by when we received it, not by its `at`: clocks of other machines do not matter here.
  const snapshotAgeMs = entry ? nowMs - entry.receivedAtMs : undefined;
  if (snapshotAgeMs === undefined) reasons.push(`no snapshot of campaign ${campaign} yet`);
  else if (snapshotAgeMs > staleAfterMs)
    reasons.push(
      `latest snapshot of campaign ${campaign} arrived ${snapshotAgeMs} ms ago (limit ${staleAfterMs} ms); is an aggregator running?`,
    );
  return { ready: reasons.length === 0, reasons, snapshotAgeMs };
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const noStore = { "Cache-Control": "no-store" };

  app.get("/healthz", (res) => {
    const body = {
      status: "ok",
      transport: ctx.transport,
      uws: ctx.uwsPackage,
      uptimeSeconds: Math.round((Date.now() - ctx.startedAtMs) / 1000),
      connections: ctx.connections.open,
      campaigns: ctx.store.campaigns().length,
    };
    writeJson(res, 200, JSON.stringify(body), noStore);
  });

  app.get("/readyz", (res) => {
    const { ready, reasons, snapshotAgeMs } = readiness(ctx);
    const snapshot = ctx.store.get(ctx.config.campaign)?.snapshot;
    // Ready: this broadcaster serves a live (if frozen) number; taking it out of the load balancer would not help.
    const degraded = snapshot?.degraded
      ? { degraded: true, degradedReason: snapshot.degradedReason, degradedSince: snapshot.degradedSince }
      : {};
    const seq = snapshot?.seq;
    if (ready)
      return writeJson(
        res,
        200,
        JSON.stringify({ status: "ready", campaign: ctx.config.campaign, seq, snapshotAgeMs, ...degraded }),
        noStore,
      );
    const body = { status: "not_ready", reasons, ...degraded, error: { code: "NOT_READY", message: reasons.join("; ") } };
    writeJson(res, 503, JSON.stringify(body), noStore);
  });
}
