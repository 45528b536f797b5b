// GET /v1/total[?campaign=]: the latest snapshot as JSON, with an ETag so pollers and CDNs get 304s.

import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import type { BroadcasterContext } from "../context.js";
import { campaignParam, etagMatches, replyLater, writeError } from "../http.js";
import type { SnapshotEntry } from "../snapshot-store.js";

function writeSnapshot(res: HttpResponse, entry: SnapshotEntry, ifNoneMatch: string): void {
  const notModified = etagMatches(ifNoneMatch, entry.etag);
  res.writeStatus(notModified ? "304 Not Modified" : "200 OK");
  res.writeHeader("Content-Type", "application/json");
  res.writeHeader("ETag", entry.etag);
  // A CDN may serve one snapshot for a second: viewers see at most 1 s extra delay, the origin sees one request per edge per second.
  res.writeHeader("Cache-Control", "public, max-age=1");
  res.writeHeader("Access-Control-Allow-Origin", "*");
  res.writeHeader("Access-Control-Expose-Headers", "ETag");
  if (notModified) res.endWithoutBody();
  else res.end(entry.bytes);
}

function writeNoSnapshot(res: HttpResponse, campaign: string): void {
  writeError(res, 503, "NO_SNAPSHOT", `no snapshot of campaign ${campaign} yet; is an aggregator running?`, { "Retry-After": "1" });
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  app.get("/v1/total", (res, req) => {
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const { campaign } = param;
    const ifNoneMatch = req.getHeader("if-none-match");
    const entry = ctx.store.get(campaign);
    if (entry) return writeSnapshot(res, entry, ifNoneMatch);
    if (campaign === ctx.config.campaign) return writeNoSnapshot(res, campaign);

    // Another campaign, not seen since start: look it up in Redis once (req is not valid after this point).
    replyLater(res, ctx.feed.lookup(campaign), (found) => {
      const loaded = ctx.store.get(campaign);
      if (loaded) writeSnapshot(res, loaded, ifNoneMatch);
      else if (found === "unknown") writeError(res, 404, "UNKNOWN_CAMPAIGN", `no campaign named ${campaign}`);
      else writeNoSnapshot(res, campaign);
    });
  });
}
