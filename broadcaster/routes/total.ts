// GET /v1/total[?campaign=]: the latest snapshot as JSON, with an ETag so pollers and CDNs get 304s.
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
import { campaignParam, etagMatches, replyLater, writeError } from "../http.js";
import type { SnapshotEntry } from "../snapshot-store.js";

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

/** The headers of every /v1/total answer, 200 and 304 alike. */
function headersFor(etag: string): ReadonlyArray<readonly [string, string]> {
  return [
    ["Content-Type", "application/json"],
    ["ETag", etag],
    // A CDN may serve one snapshot for a second: viewers see at most 1 s extra delay, the origin sees one request per edge per second.
    ["Cache-Control", "public, max-age=1"],
    ["Access-Control-Allow-Origin", "*"],
    ["Access-Control-Expose-Headers", "ETag"],
  ];
}

function headFor(status: string, etag: string): ArrayBuffer {
  return ownBuffer(encoder.encode([status, ...headersFor(etag).map(([name, value]) => `${name}: ${value}`)].join("\r\n")));
}

/** One PreparedTotal per snapshot entry, built on its first request; dropped with the entry. */
const prepared = new WeakMap<SnapshotEntry, PreparedTotal>();

function prepare(entry: SnapshotEntry): PreparedTotal {
  let p = prepared.get(entry);
  if (p === undefined) {
    p = {
      etag: entry.etag,
      ok: headFor("200 OK", entry.etag),
      notModified: headFor("304 Not Modified", entry.etag),
      body: ownBuffer(entry.bytes),
    };
    prepared.set(entry, p);
  }
  return p;
}

function writePrepared(res: HttpResponse, entry: SnapshotEntry, ifNoneMatch: string): void {
  const p = prepare(entry);
  // Pollers send back exactly the ETag they got: compare that before parsing lists and weak forms.
  if (ifNoneMatch !== "" && (ifNoneMatch === p.etag || etagMatches(ifNoneMatch, p.etag))) res.writeStatus(p.notModified).endWithoutBody();
  else res.writeStatus(p.ok).end(p.body);
}

/** The same answer through the plain API, for uWS's JS fallback (it takes status codes and headers one by one, as strings). */
function writePlain(res: HttpResponse, entry: SnapshotEntry, ifNoneMatch: string): void {
  const notModified = etagMatches(ifNoneMatch, entry.etag);
  res.writeStatus(notModified ? "304 Not Modified" : "200 OK");
  for (const [name, value] of headersFor(entry.etag)) res.writeHeader(name, value);
  if (notModified) endEmpty(res);
  else res.end(entry.bytes);
}

function writeNoSnapshot(res: HttpResponse, campaign: string): void {
  writeError(res, 503, "NO_SNAPSHOT", `no snapshot of campaign ${campaign} yet; is an aggregator running?`, { "Retry-After": "1" });
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const native = ctx.transport === "native";
  const writeSnapshot = native ? writePrepared : writePlain;
  const ifNoneMatchKey = native ? ifNoneMatchBytes : "if-none-match";
  app.get("/v1/total", (res, req) => {
    const param = campaignParam(req, ctx.config.campaign);
    if (!param.ok) return writeError(res, 400, "INVALID_CAMPAIGN", param.message);
    const { campaign } = param;
    const ifNoneMatch = req.getHeader(ifNoneMatchKey);
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
