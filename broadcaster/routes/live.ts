// WS /v1/live[?campaign=&view=&hz=]: first the current snapshot, then the latest at the viewer's rate, fanned out through one
// uWS topic per campaign, view, rate and phase (see rate-scheduler.ts), so each tick publishes to the phases due.

import type { HttpResponse, TemplatedApp, WebSocket } from "uWebSockets.js";
import { uws } from "../../core/uws-http.js";
import type { BroadcasterContext } from "../context.js";
import { replyLater, writeError } from "../http.js";
import { type RateGroup, RateScheduler } from "../rate-scheduler.js";
import { readViewerRequest } from "../viewer-params.js";
import type { ViewEntry } from "../views.js";

/** Viewers only listen; a few bytes of pings or app-level keepalives are all they may send. */
export const maxPayloadBytes = 1024;
export const maxMessagesPerSecond = 10;
/** Past this a socket is skipped by topic publishes; it catches up with the latest snapshot on drain. */
export const maxBackpressureBytes = 64 * 1024;
/** Seconds without traffic before uWS closes a socket; it pings before that, and any client answers pongs. */
export const idleTimeoutSeconds = 32;

interface Viewer {
  readonly campaign: string;
  readonly view: ViewEntry["view"];
  readonly hz: number;
  /** Set on open (the group and its topic); undefined until then. */
  group: RateGroup | undefined;
  /** ETag of the last snapshot sent to this socket directly (open, drain); topic publishes are not tracked per socket. */
  lastSentEtag: string | undefined;
  windowStartMs: number;
  messagesInWindow: number;
  closed: boolean;
}

export function topicOf(group: RateGroup): string {
  return `snapshots/${group.key}`;
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  // uWS's JS fallback has no topics (publish, subscribe) nor custom upgrades: /v1/live is not served there, and
  // core/uws-http.ts answers every upgrade request 501 WEBSOCKET_UNAVAILABLE; viewers fall back to SSE, then polling.
  if (ctx.transport !== "native") return;
  const sockets = new Set<WebSocket<Viewer>>();
  const { config, metrics, connections, store } = ctx;

  const send = (ws: WebSocket<Viewer>, frame: ViewEntry) => {
    ws.send(frame.bytes, false);
    ws.getUserData().lastSentEtag = frame.etag;
    metrics.messagesSent.inc();
  };

  // One publish per due group: uWS copies the same bytes to every subscriber in C++ and skips the backpressured ones.
  const scheduler = new RateScheduler(config.foldIntervalMs, (group, frame) => {
    const topic = topicOf(group);
    const viewers = app.numSubscribers(topic);
    if (viewers === 0) return;
    app.publish(topic, frame.bytes, false);
    metrics.messagesSent.inc(viewers);
  });
  store.onSnapshot((entry) => scheduler.onSnapshot(entry));

  ctx.onClose(() => {
    scheduler.close();
    for (const ws of [...sockets]) ws.end(1001, "server shutting down");
  });

  const refuseFull = (res: HttpResponse) =>
    writeError(
      res,
      503,
      "TOO_MANY_CONNECTIONS",
      `this server holds its limit of ${connections.max} live connections; retry later or poll GET /v1/total`,
      { "Retry-After": "5" },
    );

  app.ws<Viewer>("/v1/live", {
    compression: uws.DISABLED,
    maxPayloadLength: maxPayloadBytes,
    maxBackpressure: maxBackpressureBytes,
    closeOnBackpressureLimit: 0,
    idleTimeout: idleTimeoutSeconds,
    sendPingsAutomatically: true,

    upgrade: (res, req, context) => {
      // Read everything from req now: it is not valid after this callback returns.
      const secKey = req.getHeader("sec-websocket-key");
      const protocol = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      // A refused upgrade is an HTTP answer before the 101: 400 naming the parameter, 401 for the full view without the token.
      const request = readViewerRequest(res, req, ctx.auth, config.campaign);
      if (request === undefined) return;
      if (!connections.hasRoom()) return refuseFull(res);
      const { campaign, view, hz } = request;
      const viewer: Viewer = {
        campaign,
        view,
        hz,
        group: undefined,
        lastSentEtag: undefined,
        windowStartMs: 0,
        messagesInWindow: 0,
        closed: false,
      };
      const upgrade = () => res.upgrade(viewer, secKey, protocol, extensions, context);
      if (campaign === config.campaign || store.get(campaign)) return upgrade();

      replyLater(res, ctx.feed.lookup(campaign), (found) => {
        if (found === "unknown") writeError(res, 404, "UNKNOWN_CAMPAIGN", `no campaign named ${campaign}`);
        else if (!connections.hasRoom()) refuseFull(res);
        else upgrade();
      });
    },

    open: (ws) => {
      sockets.add(ws);
      connections.opened();
      const viewer = ws.getUserData();
      viewer.group = scheduler.join(viewer.campaign, viewer.view, viewer.hz);
      ws.subscribe(topicOf(viewer.group));
      const frame = scheduler.welcome(viewer.group);
      if (frame) send(ws, frame);
    },

    message: (ws) => {
      const viewer = ws.getUserData();
      if (viewer.closed) return;
      const nowMs = Date.now();
      if (nowMs - viewer.windowStartMs >= 1000) {
        viewer.windowStartMs = nowMs;
        viewer.messagesInWindow = 0;
      }
      if (++viewer.messagesInWindow > maxMessagesPerSecond) ws.end(1008, "too many messages: viewers need not send anything");
    },

    drain: (ws) => {
      // Only once fully caught up, so we never queue behind a backlog: then send the latest if this socket may have missed it.
      if (ws.getBufferedAmount() > 0) return;
      // What its group got last, not the newest: a drain never lets a socket exceed its rate.
      const viewer = ws.getUserData();
      const frame = viewer.group && scheduler.lastFrame(viewer.group);
      if (frame && frame.etag !== viewer.lastSentEtag) send(ws, frame);
    },

    close: (ws) => {
      const viewer = ws.getUserData();
      viewer.closed = true;
      if (viewer.group) scheduler.leave(viewer.group);
      sockets.delete(ws);
      connections.closed();
    },
  });
}
