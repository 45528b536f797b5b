// GET /v1/total[?campaign=&view=]: the latest snapshot (or its counter view) as JSON, with an ETag per view so pollers and CDNs get 304s.
//
// The hot path of the broadcaster (pollers, CDN edges). With the native uWS binary, each snapshot's status line and
// headers are encoded once, so a request is two native calls (writeStatus with the prebuilt head, end with the
// prebuilt body) and no string conversion or allocation on our side. uWS writes "HTTP/1.1 <status>\r\n" for
// writeStatus, so a head of "200 OK\r\nContent-Type: ...\r\n...\r\nLast-Header: value" puts exactly the bytes
// separate writeHeader calls would; uWS then adds Date and Content-Length itself. Every value in the head is ours
// (the ETag is sanitized by etagOf), never request input. Everything handed to uWS is a whole ArrayBuffer (header
// keys too): uWS reads it in place, where a JS string is measured and copied as UTF-8 and a Uint8Array costs a
// view-to-buffer lookup (wrk, 10-deep pipelining, same route: string keys 0.59-0.64M req/s, Uint8Array 0.62-0.73M,
// ArrayBuffer 0.65-0.75M). uWS's JS fallback takes none of this, so it gets the plain calls.

import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import { endEmpty } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { etagMatches, replyLater, writeError } from "../http.js";
import { readViewerRequest } from "../viewer-params.js";
import { type ViewEntry, type ViewName, viewOf } from "../views.js";

interface PreparedTotal {
  readonly etag: string;
  /** Status line + headers for the 200 answer, handed to writeStatus. */
  readonly ok: ArrayBuffer;
  /** The same for 304: a 304 repeats the headers a 200 would carry (ETag, Cache-Control, CORS). */
  readonly notModified: ArrayBuffer;
  readonly body: ArrayBuffer;
}

const encoder = new TextEncoder();
const ifNoneMatchBytes = ownBuffer(encoder.encode("if-none-match"));

/** The bytes as an ArrayBuffer of exactly their length (copied only if they are a view into a larger one). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(bytes).buffer; // a copy (Buffer#slice would return a view of the same memory)
}

/**
 * A CDN may serve one snapshot for a second: viewers see at most 1 s extra delay, the origin sees one request per edge
 * per second. The full view behind DASHBOARD_TOKEN is private: no shared cache may keep it and hand it to anyone.
 */
function cacheControlFor(view: ViewName, privateFull: boolean): string {
  return view === "full" && privateFull ? "private, max-age=1" : "public, max-age=1";
}

/** The headers of every /v1/total answer, 200 and 304 alike. */
function headersFor(etag: string, cacheControl: string): ReadonlyArray<readonly [string, string]> {
  return [
    ["Content-Type", "application/json"],
    ["ETag", etag],
    ["Cache-Control", cacheControl],
    ["Access-Control-Allow-Origin", "*"],
    ["Access-Control-Expose-Headers", "ETag"],
  ];
}

function headFor(status: string, etag: string, cacheControl: string): ArrayBuffer {
  return ownBuffer(encoder.encode([status, ...headersFor(etag, cacheControl).map(([name, value]) => `${name}: ${value}`)].join("\r\n")));
}

type WriteSnapshot = (res: HttpResponse, frame: ViewEntry, ifNoneMatch: string) => void;

/** Prepared answers, one per view of each snapshot, built on its first request and dropped with the snapshot. */
function preparedWriter(privateFull: boolean): WriteSnapshot {
  const prepared = new WeakMap<ViewEntry, PreparedTotal>();
  const prepare = (frame: ViewEntry): PreparedTotal => {
    let p = prepared.get(frame);
    if (p === undefined) {
      const cacheControl = cacheControlFor(frame.view, privateFull);
      p = {
        etag: frame.etag,
        ok: headFor("200 OK", frame.etag, cacheControl),
        notModified: headFor("304 Not Modified", frame.etag, cacheControl),
        body: ownBuffer(frame.bytes),
      };
      prepared.set(frame, p);
    }
    return p;
  };
  return (res, frame, ifNoneMatch) => {
    const p = prepare(frame);
    // Pollers send back exactly the ETag they got: compare that before parsing lists and weak forms.
    if (ifNoneMatch !== "" && (ifNoneMatch === p.etag || etagMatches(ifNoneMatch, p.etag))) res.writeStatus(p.notModified).endWithoutBody();
    else res.writeStatus(p.ok).end(p.body);
  };
}

/** The same answer through the plain API, for uWS's JS fallback (it takes status codes and headers one by one, as strings). */
function plainWriter(privateFull: boolean): WriteSnapshot {
  return (res, frame, ifNoneMatch) => {
    const notModified = etagMatches(ifNoneMatch, frame.etag);
    res.writeStatus(notModified ? "304 Not Modified" : "200 OK");
    for (const [name, value] of headersFor(frame.etag, cacheControlFor(frame.view, privateFull))) res.writeHeader(name, value);
    if (notModified) endEmpty(res);
    else res.end(frame.bytes);
  };
}

function writeNoSnapshot(res: HttpResponse, campaign: string): void {
  writeError(res, 503, "NO_SNAPSHOT", `no snapshot of campaign ${campaign} yet; is an aggregator running?`, { "Retry-After": "1" });
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const native = ctx.transport === "native";
  const writeFrame = (native ? preparedWriter : plainWriter)(ctx.auth.enabled);
  const ifNoneMatchKey = native ? ifNoneMatchBytes : "if-none-match";
  app.get("/v1/total", (res, req) => {
    // ?hz= is checked like on the live transports; a poll is one answer, so it changes nothing here.
    const viewer = readViewerRequest(res, req, ctx.auth, ctx.config.campaign);
    if (viewer === undefined) return;
    const { campaign, view } = viewer;
    const ifNoneMatch = req.getHeader(ifNoneMatchKey);
    const entry = ctx.store.get(campaign);
    if (entry) return writeFrame(res, viewOf(entry, view), ifNoneMatch);
    if (campaign === ctx.config.campaign) return writeNoSnapshot(res, campaign);

    // Another campaign, not seen since start: look it up in Redis once (req is not valid after this point).
    replyLater(res, ctx.feed.lookup(campaign), (found) => {
      const loaded = ctx.store.get(campaign);
      if (loaded) writeFrame(res, viewOf(loaded, view), ifNoneMatch);
      else if (found === "unknown") writeError(res, 404, "UNKNOWN_CAMPAIGN", `no campaign named ${campaign}`);
      else writeNoSnapshot(res, campaign);
    });
  });
}
