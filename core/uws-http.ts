// The loaded uWebSockets.js (native or JS fallback, see uws-loader.ts) and small HTTP helpers shared by our uWS servers.

import type * as Uws from "uWebSockets.js";
import { CodedError } from "./errors.js";
import { fixFallbackServer } from "./uws-fallback.js";
import { loadUws, type UwsLoad } from "./uws-loader.js";

/** Which build loaded and why the others were not used (core/uws-loader.ts). */
export const uwsLoad: UwsLoad = loadUws();
export const uws: typeof Uws = uwsLoad.uws;

/** "native" when a uWS binary loaded; "fallback" for the pinned package's slow JS emulation (no WebSocket). */
export const uwsTransport: UwsLoad["transport"] = uwsLoad.transport;
/** `<package>@<version>` of the build in use, reported in /healthz next to the transport. */
export const uwsPackage: string = uwsLoad.package;

export class BodyTooLargeError extends CodedError {
  constructor(readonly limitBytes: number) {
    super("PAYLOAD_TOO_LARGE", `body: must be at most ${limitBytes} bytes`);
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
      if (uwsTransport !== "native") fixFallbackServer(token);
      resolve({ token, port: uws.us_socket_local_port(token) });
    });
  });
}
