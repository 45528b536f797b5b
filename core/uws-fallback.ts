// uWebSockets.js's JS fallback (UWS_USE_FALLBACK=1, or a binary that does not load): what it wraps, what it cannot do
// in our servers, and the fixes applied to it (route on the path, refuse WebSocket upgrades cleanly, slowloris limits).

import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { errorBody } from "./errors.js";

/** What the fallback's HttpRequest / HttpResponse wrap (not in the typings). */
export interface FallbackRequest {
  readonly request?: IncomingMessage;
}
export interface FallbackResponse {
  readonly response?: ServerResponse;
}

/** What the JS fallback cannot do in our servers; logged once at start by each server running on it. */
export const fallbackLimitations =
  "uWebSockets.js JS fallback: WebSocket upgrades are refused (501 WEBSOCKET_UNAVAILABLE; viewers use SSE or polling), " +
  "no pipelining-speed hot paths, no uWS backpressure accounting beyond Node's own, " +
  "slow clients cut after 10 s of headers / 60 s per request (checked every 30 s) instead of uWS's 10 s idle timeout";

const websocketUnavailableBody = errorBody(
  "WEBSOCKET_UNAVAILABLE",
  "this server runs uWebSockets.js's JS fallback, which cannot serve WebSockets; use GET /v1/stream (SSE) or poll GET /v1/total",
);

/** Answers an upgrade request on the fallback with a plain 501 and closes the socket. */
function refuseUpgrade(_req: IncomingMessage, socket: Duplex): void {
  socket.on("error", () => undefined);
  socket.end(
    "HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\nAccess-Control-Allow-Origin: *\r\nCache-Control: no-store\r\n" +
      `Connection: close\r\nContent-Length: ${Buffer.byteLength(websocketUnavailableBody)}\r\n\r\n${websocketUnavailableBody}`,
  );
}

/** The fallback's internals we adjust (not in the typings). */
interface FallbackApp {
  readonly httpContext?: {
    readonly router?: { route(method: string, url: string): boolean };
    readonly http?: HttpServer | null;
  };
}

/** The fallback matches "/v1/total?campaign=x" against "/v1/total" only if it routes on the path alone. */
export function routeFallbackOnPath(app: unknown): void {
  const router = (app as FallbackApp).httpContext?.router;
  if (!router) return;
  const route = router.route.bind(router);
  router.route = (method, url) => {
    const q = url.indexOf("?");
    return route(method, q === -1 ? url : url.slice(0, q));
  };
}

/** Slowloris limits for the fallback's node:http server (Node's defaults are 60 s and 300 s). */
const fallbackHeadersTimeoutMs = 10_000;
const fallbackRequestTimeoutMs = 60_000;

/** On the fallback, after listen: WebSocket upgrades get a clean 501 instead of the fallback's throw or hang. */
export function fixFallbackServer(token: unknown): void {
  const server = (token as FallbackApp["httpContext"])?.http;
  if (!server) return;
  server.removeAllListeners("upgrade");
  server.on("upgrade", refuseUpgrade);
  // Native uWS drops a connection after 10 s without progress; Node's server checks these every 30 s at most.
  server.headersTimeout = fallbackHeadersTimeoutMs;
  server.requestTimeout = fallbackRequestTimeoutMs;
}
