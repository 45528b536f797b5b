// uWebSockets.js loading (native or JS fallback) and small HTTP helpers shared by our uWS servers.

import type * as Uws from "uWebSockets.js";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import { CodedError } from "./errors.js";

const require = createRequire(import.meta.url);
export const uws: typeof Uws = require("uWebSockets.js");

/** "native" when the uWS binary loaded; the package silently falls back to a slow JS emulation otherwise. */
export const uwsTransport: "native" | "fallback" =
  typeof (uws as unknown as { getParts?: unknown }).getParts === "function" ? "native" : "fallback";

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`body: must be at most ${limitBytes} bytes`);
  }
}

export interface BodyReader {
  /** Resolves with the whole body, or rejects with BodyTooLargeError / an abort error. */
  readonly body: Promise<Buffer>;
  /** True once the client has gone: do not write to the response. */
  aborted(): boolean;
}

/**
 * Reads a request body up to limitBytes. Registers onAborted at once (uWS requires it before any await).
 * Call synchronously inside the route handler.
 */
export function readBody(res: Uws.HttpResponse, limitBytes: number, contentLength: string): BodyReader {
  let isAborted = false;
  let resolveBody!: (b: Buffer) => void;
  let rejectBody!: (e: Error) => void;
  const body = new Promise<Buffer>((resolve, reject) => {
    resolveBody = resolve;
    rejectBody = reject;
  });
  body.catch(() => undefined);
  res.onAborted(() => {
    isAborted = true;
    rejectBody(new Error("request aborted"));
  });
  const declared = contentLength === "" ? -1 : Number(contentLength);
  if (declared > limitBytes) {
    rejectBody(new BodyTooLargeError(limitBytes));
    return { body, aborted: () => isAborted };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  res.onData((chunk, isLast) => {
    if (done) return;
    size += chunk.byteLength;
    if (size > limitBytes) {
      done = true;
      rejectBody(new BodyTooLargeError(limitBytes));
      return;
    }
    // uWS reuses the chunk's memory after this callback returns: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
    if (isLast) {
      done = true;
      resolveBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    }
  });
  return { body, aborted: () => isAborted };
}

const statusText: Record<number, string> = {
  200: "200 OK",
  202: "202 Accepted",
  204: "204 No Content",
  304: "304 Not Modified",
  400: "400 Bad Request",
  401: "401 Unauthorized",
  403: "403 Forbidden",
  404: "404 Not Found",
  405: "405 Method Not Allowed",
  409: "409 Conflict",
  413: "413 Payload Too Large",
  415: "415 Unsupported Media Type",
  429: "429 Too Many Requests",
  500: "500 Internal Server Error",
  502: "502 Bad Gateway",
  503: "503 Service Unavailable",
};

export function statusLine(statusCode: number): string {
  return statusText[statusCode] ?? `${statusCode} Status`;
}

/** Writes a whole response in one cork. Set closeConnection when the rest of the body was not read. */
export function writeResponse(
  res: Uws.HttpResponse,
  statusCode: number,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer,
  closeConnection = false,
): void {
  res.cork(() => {
    res.writeStatus(statusLine(statusCode));
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    res.end(body, closeConnection);
  });
}

/** uWS could not bind: port in use or no permission. Fatal at start. */
export class ListenError extends CodedError {
  constructor(server: string, host: string, port: number) {
    super("LISTEN_FAILED", `${server} could not listen on ${host}:${port} (port in use or not permitted)`);
  }
}

/** Listens or throws ListenError; returns the listen socket (keep it for shutdown) and the actual port (port 0 picks one). */
export function listen(
  app: Uws.TemplatedApp,
  host: string,
  port: number,
  server: string,
): Promise<{ token: Uws.us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (token) => {
      if (!token) return reject(new ListenError(server, host, port));
      if (!native) fixFallbackServer(token);
      resolve({ token, port: uws.us_socket_local_port(token) });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Transport-aware request accessors. The JS fallback (UWS_USE_FALLBACK=1, or a binary that does not load) routes on
// the whole URL, query included; its getQuery() throws, getQuery(key) always answers "", getUrl() keeps the query,
// getCaseSensitiveMethod(), forEach(), onWritable(), endWithoutBody(), getRemoteAddressAsText(), publish() and
// custom WebSocket upgrades throw "Not implemented". These helpers use the native calls on the binary and read the
// Node request/response the fallback wraps otherwise. Hot paths that need native speed branch on uwsTransport themselves.

const native = uwsTransport === "native";

/** What the fallback's HttpRequest / HttpResponse wrap (not in the typings). */
interface FallbackRequest {
  readonly request?: IncomingMessage;
}
interface FallbackResponse {
  readonly response?: ServerResponse;
}

function fallbackUrl(req: Uws.HttpRequest): string {
  return (req as unknown as FallbackRequest).request?.url ?? "/";
}

/** The path, without the query string (native getUrl()). */
export function pathOf(req: Uws.HttpRequest): string {
  if (native) return req.getUrl();
  const url = fallbackUrl(req);
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** The raw query string without "?", still encoded; "" when there is none. */
export function rawQueryOf(req: Uws.HttpRequest): string {
  if (native) return (req.getQuery() as string | undefined) ?? "";
  const url = fallbackUrl(req);
  const q = url.indexOf("?");
  return q === -1 ? "" : url.slice(q + 1);
}

/** One decoded query parameter, or undefined when absent (native uWS answers undefined too, despite its typings). */
export function queryParam(req: Uws.HttpRequest, key: string): string | undefined {
  if (native) return req.getQuery(key) as string | undefined;
  const query = rawQueryOf(req);
  if (query === "") return undefined;
  try {
    return new URLSearchParams(query).get(key) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The request method as sent (upper case for every real client). */
export function methodOf(req: Uws.HttpRequest): string {
  return native ? req.getCaseSensitiveMethod() : req.getMethod();
}

/** Every request header, lower-cased names; repeated headers joined with ",". */
export function headersOf(req: Uws.HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (native) {
    req.forEach((name, value) => {
      headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    });
    return headers;
  }
  const raw = (req as unknown as FallbackRequest).request?.headers ?? {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return headers;
}

/** The peer's IP address as text ("" when unknown). */
export function remoteAddressOf(res: Uws.HttpResponse): string {
  if (native) return Buffer.from(res.getRemoteAddressAsText()).toString();
  return (res as unknown as FallbackResponse).response?.socket?.remoteAddress ?? "";
}

/** Ends a response that has no body (304, 204): endWithoutBody() on native, end() on the fallback. */
export function endEmpty(res: Uws.HttpResponse): void {
  if (native) res.endWithoutBody();
  else res.end();
}

/** Calls `handler` when a backed-up response can take more: onWritable on native, the Node response's "drain" otherwise. */
export function onWritable(res: Uws.HttpResponse, handler: () => boolean): void {
  if (native) {
    res.onWritable(() => handler());
    return;
  }
  (res as unknown as FallbackResponse).response?.on("drain", () => void handler());
}

/** What the JS fallback cannot do in our servers; logged once at start by each server running on it. */
export const fallbackLimitations =
  "uWebSockets.js JS fallback: WebSocket upgrades are refused (501 WEBSOCKET_UNAVAILABLE; viewers use SSE or polling), " +
  "no pipelining-speed hot paths, no uWS backpressure accounting beyond Node's own, " +
  "slow clients cut after 10 s of headers / 60 s per request (checked every 30 s) instead of uWS's 10 s idle timeout";

const websocketUnavailableBody = JSON.stringify({
  error: {
    code: "WEBSOCKET_UNAVAILABLE",
    message: "this server runs uWebSockets.js's JS fallback, which cannot serve WebSockets; use GET /v1/stream (SSE) or poll GET /v1/total",
  },
});

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

function errorBodyOf(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Answers 500 after a handler threw, if the response is still ours; never throws. */
function answerInternalError(res: Uws.HttpResponse): void {
  try {
    res.cork(() => {
      res.writeStatus("500 Internal Server Error");
      res.writeHeader("Content-Type", "application/json");
      res.writeHeader("Cache-Control", "no-store");
      res.end(errorBodyOf("INTERNAL", "unexpected server error"), true);
    });
  } catch {
    // Already answered, upgraded or closed: nothing more to say.
  }
}

type AnyHandler = (...args: never[]) => unknown;

/** Wraps a callback so an exception is logged instead of reaching uWS (native: process crash) or Node (fallback: crash). */
function guard<F extends AnyHandler>(fn: F, onError: (err: unknown, args: Parameters<F>) => void): F {
  return ((...args: Parameters<F>) => {
    try {
      return fn(...args);
    } catch (err) {
      onError(err, args);
      return undefined;
    }
  }) as F;
}

export interface AppOptions {
  /** Called with whatever a handler threw (the response is answered 500 when still open). */
  readonly onHandlerError: (err: unknown) => void;
}

const httpMethods = ["get", "post", "options", "del", "patch", "put", "head", "connect", "trace", "any"] as const;
const wsCallbacks = ["upgrade", "open", "message", "drain", "close", "ping", "pong", "dropped", "subscription"] as const;

/**
 * uws.App() whose handlers cannot crash the process: an exception is logged and answered 500. On the JS fallback it
 * also routes on the path without the query (the fallback matches "/v1/total?campaign=x" against "/v1/total" otherwise).
 */
export function createApp(options: AppOptions): Uws.TemplatedApp {
  const app = uws.App();
  const httpError = (err: unknown, args: unknown[]) => {
    options.onHandlerError(err);
    const res = args[0] as Uws.HttpResponse | undefined;
    if (res) answerInternalError(res);
  };
  const target = app as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of httpMethods) {
    if (typeof target[method] !== "function") continue;
    const register = target[method].bind(app);
    target[method] = (pattern: unknown, handler: unknown) => {
      register(pattern, guard(handler as AnyHandler, httpError as never));
      return app;
    };
  }
  const registerWs = target.ws!.bind(app);
  target.ws = (pattern: unknown, behavior: unknown) => {
    const guarded: Record<string, unknown> = { ...(behavior as Record<string, unknown>) };
    for (const name of wsCallbacks) {
      const fn = guarded[name];
      if (typeof fn !== "function") continue;
      guarded[name] = guard(
        fn as AnyHandler,
        ((err: unknown, args: unknown[]) => {
          if (name === "upgrade") httpError(err, args);
          else options.onHandlerError(err);
        }) as never,
      );
    }
    registerWs(pattern, guarded);
    return app;
  };
  if (!native) {
    const router = (app as unknown as FallbackApp).httpContext?.router;
    if (router) {
      const route = router.route.bind(router);
      router.route = (method, url) => {
        const q = url.indexOf("?");
        return route(method, q === -1 ? url : url.slice(0, q));
      };
    }
  }
  return app;
}

/** Slowloris limits for the fallback's node:http server (Node's defaults are 60 s and 300 s). */
const fallbackHeadersTimeoutMs = 10_000;
const fallbackRequestTimeoutMs = 60_000;

/** On the fallback, after listen: WebSocket upgrades get a clean 501 instead of the fallback's throw or hang. */
function fixFallbackServer(token: unknown): void {
  const server = (token as FallbackApp["httpContext"])?.http;
  if (!server) return;
  server.removeAllListeners("upgrade");
  server.on("upgrade", refuseUpgrade);
  // Native uWS drops a connection after 10 s without progress; Node's server checks these every 30 s at most.
  server.headersTimeout = fallbackHeadersTimeoutMs;
  server.requestTimeout = fallbackRequestTimeoutMs;
}
