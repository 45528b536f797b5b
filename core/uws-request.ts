// Transport-aware request and response accessors for our uWS handlers. The JS fallback (UWS_USE_FALLBACK=1, or a
// binary that does not load) routes on the whole URL, query included; its getQuery() throws, getQuery(key) always
// answers "", getUrl() keeps the query, getCaseSensitiveMethod(), forEach(), onWritable(), endWithoutBody(),
// getRemoteAddressAsText(), publish() and custom WebSocket upgrades throw "Not implemented". These helpers use the
// native calls on the binary and read the Node request/response the fallback wraps otherwise. Hot paths that need
// native speed branch on uwsTransport themselves.

import type * as Uws from "uWebSockets.js";
import type { FallbackRequest, FallbackResponse } from "./uws-fallback.js";
import { uwsTransport } from "./uws-http.js";

const native = uwsTransport === "native";

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

/** Query parameter names as ArrayBuffers: native uWS reads them in place instead of copying a JS string per call. */
const nativeKeys = new Map<string, ArrayBuffer>();

function nativeKey(key: string): string {
  let bytes = nativeKeys.get(key);
  if (bytes === undefined) {
    bytes = new TextEncoder().encode(key).buffer as ArrayBuffer;
    nativeKeys.set(key, bytes);
  }
  return bytes as unknown as string; // uWS takes a RecognizedString; its typings for getQuery say string
}

/** One decoded query parameter, or undefined when absent (native uWS answers undefined too, despite its typings). */
export function queryParam(req: Uws.HttpRequest, key: string): string | undefined {
  if (native) return req.getQuery(nativeKey(key)) as string | undefined;
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
