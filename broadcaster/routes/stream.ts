// GET /v1/stream[?campaign=&view=&hz=]: the same frames as WS /v1/live, as Server-Sent Events, for viewers behind proxies that drop WebSockets.

import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import { onWritable } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { writeError } from "../http.js";
import { type RateGroup, RateScheduler } from "../rate-scheduler.js";
import { readViewerRequest } from "../viewer-params.js";
import type { ViewEntry } from "../views.js";

/** A comment line this often keeps proxies from closing an idle stream. */
export const keepaliveMs = 15_000;
/** EventSource waits this long before reconnecting by itself (our client manages its own backoff too). */
const retryMs = 1000;

interface StreamViewer {
  readonly res: HttpResponse;
  readonly campaign: string;
  readonly group: RateGroup;
  /** Set when a write did not fit: the socket gets only the latest snapshot once it drains. */
  backedUp: boolean;
  lastSentEtag: string | undefined;
  closed: boolean;
}

const encoder = new TextEncoder();
const eventHead = encoder.encode("data: ");
const eventTail = encoder.encode("\n\n");

/** One SSE event per frame; the JSON has no newlines, so one data line carries it. */
function frame(entry: ViewEntry): Uint8Array {
  const out = new Uint8Array(eventHead.length + entry.bytes.length + eventTail.length);
  out.set(eventHead, 0);
  out.set(entry.bytes, eventHead.length);
  out.set(eventTail, eventHead.length + entry.bytes.length);
  return out;
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const { config, store, connections, metrics } = ctx;
  const viewers = new Set<StreamViewer>();
  const groups = new Map<string, Set<StreamViewer>>();
  // Events are built once per view of each snapshot and shared by every stream of that campaign and view.
  const frames = new WeakMap<ViewEntry, Uint8Array>();
  const frameOf = (entry: ViewEntry) => {
    let bytes = frames.get(entry);
    if (!bytes) {
      bytes = frame(entry);
      frames.set(entry, bytes);
    }
    return bytes;
  };

  const send = (viewer: StreamViewer, entry: ViewEntry) => {
    if (viewer.closed || viewer.backedUp || viewer.lastSentEtag === entry.etag) return;
    viewer.res.cork(() => {
      const ok = viewer.res.write(frameOf(entry));
      viewer.lastSentEtag = entry.etag;
      metrics.messagesSent.inc();
      if (!ok) viewer.backedUp = true;
    });
  };

  const drop = (viewer: StreamViewer) => {
    if (viewer.closed) return;
    viewer.closed = true;
    viewers.delete(viewer);
    groups.get(viewer.group.key)?.delete(viewer);
    scheduler.leave(viewer.group);
    connections.closed();
  };

  const scheduler = new RateScheduler(config.foldIntervalMs, (group, entry) => {
    for (const viewer of groups.get(group.key) ?? []) send(viewer, entry);
  });
  store.onSnapshot((entry) => scheduler.onSnapshot(entry));

  const keepalive = setInterval(() => {
    for (const viewer of viewers) {
      if (viewer.backedUp) continue;
      viewer.res.cork(() => viewer.res.write(": keepalive\n\n"));
    }
  }, keepaliveMs);
  keepalive.unref();

  ctx.onClose(() => {
    clearInterval(keepalive);
    scheduler.close();
    for (const viewer of [...viewers]) {
      drop(viewer);
      viewer.res.cork(() => viewer.res.end());
    }
  });

  app.get("/v1/stream", (res, req) => {
    const request = readViewerRequest(res, req, ctx.auth, config.campaign);
    if (request === undefined) return;
    if (!connections.hasRoom()) {
      return writeError(res, 503, "TOO_MANY_CONNECTIONS", `this server holds its limit of ${connections.max} live connections`, {
        "Retry-After": "5",
      });
    }
    // Other campaigns must already be known here (WS /v1/live or GET /v1/total look them up in Redis).
    const { campaign, view, hz } = request;
    if (campaign !== config.campaign && !store.get(campaign)) {
      return writeError(res, 404, "UNKNOWN_CAMPAIGN", `no live campaign named ${campaign} on this server; try GET /v1/total first`);
    }
    const group = scheduler.join(campaign, view, hz);
    const viewer: StreamViewer = { res, campaign, group, backedUp: false, lastSentEtag: undefined, closed: false };
    res.onAborted(() => drop(viewer));
    onWritable(res, () => {
      viewer.backedUp = false;
      // What its group got last, not the newest: catching up never exceeds the viewer's rate.
      const frame = scheduler.lastFrame(group);
      if (frame) send(viewer, frame);
      return !viewer.backedUp;
    });
    connections.opened();
    viewers.add(viewer);
    let members = groups.get(group.key);
    if (members === undefined) {
      members = new Set();
      groups.set(group.key, members);
    }
    members.add(viewer);
    res.cork(() => {
      res.writeStatus("200 OK");
      res.writeHeader("Content-Type", "text/event-stream");
      res.writeHeader("Cache-Control", "no-store");
      res.writeHeader("X-Accel-Buffering", "no");
      res.writeHeader("Access-Control-Allow-Origin", "*");
      res.write(`retry: ${retryMs}\n\n`);
    });
    const frame = scheduler.welcome(group);
    if (frame) send(viewer, frame);
  });
}
