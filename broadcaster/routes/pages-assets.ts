// Static assets for the viewer page, widget and dashboard: built once at start, compressed once (brotli and gzip), served
// from memory with the encoding the client accepts, an ETag per encoding, Vary, caching headers, and HEAD.

import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync, constants as zlib } from "node:zlib";
import { endEmpty, rawQueryOf } from "../../core/uws-request.js";
import { etagMatches } from "../http.js";

const here = dirname(fileURLToPath(import.meta.url));
/**
 * From source this module is broadcaster/routes/ and the pages are in broadcaster/public; the production bundle
 * dist/broadcaster.js has them copied beside it in dist/public (scripts/build.ts).
 */
export const publicDir =
  [join(here, "public"), join(here, "..", "public")].find((dir) => existsSync(join(dir, "index.html"))) ?? join(here, "..", "public");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export type Encoding = "br" | "gzip" | "identity";

interface Representation {
  readonly bytes: Uint8Array;
  readonly etag: string;
}

export interface Asset {
  readonly contentType: string;
  /** Content hash (base64url), also used as the ?v= of versioned URLs. */
  readonly hash: string;
  readonly identity: Representation;
  /** Absent when compressing did not make the file smaller (tiny files). */
  readonly br: Representation | undefined;
  readonly gzip: Representation | undefined;
}

/** Below this, compression saves less than the header it costs. */
const minCompressBytes = 256;

function compressed(bytes: Uint8Array, hash: string, encoding: "br" | "gzip"): Representation | undefined {
  if (bytes.length < minCompressBytes) return undefined;
  // Done once per asset at start, so the slowest (smallest) settings are affordable.
  const out =
    encoding === "br"
      ? brotliCompressSync(bytes, {
          params: {
            [zlib.BROTLI_PARAM_QUALITY]: 11,
            [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
            [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        })
      : gzipSync(bytes, { level: 9 });
  if (out.length >= bytes.length) return undefined;
  // A strong ETag names one representation (RFC 9110 8.8.3): each encoding gets its own.
  return { bytes: new Uint8Array(out), etag: `"${hash}-${encoding === "br" ? "br" : "gz"}"` };
}

export function assetOf(bytes: Uint8Array, fileName: string): Asset {
  const hash = createHash("sha1").update(bytes).digest("base64url").slice(0, 20);
  return {
    contentType: contentTypes[extname(fileName)] ?? "application/octet-stream",
    hash,
    identity: { bytes, etag: `"${hash}"` },
    br: compressed(bytes, hash, "br"),
    gzip: compressed(bytes, hash, "gzip"),
  };
}

/** Reads a file of broadcaster/public, optionally rewriting its text once (placeholders filled from config). */
export function loadPublic(fileName: string, rewrite?: (text: string) => string): Asset {
  const raw = readFileSync(join(publicDir, fileName));
  const bytes = rewrite ? new TextEncoder().encode(rewrite(raw.toString("utf8"))) : new Uint8Array(raw);
  return assetOf(bytes, fileName);
}

/** uPlot's stylesheet from node_modules (no CDN; its script is bundled into the dashboard), or undefined when missing. */
export function loadUplotCss(): Asset | undefined {
  try {
    const require = createRequire(import.meta.url);
    const css = join(dirname(require.resolve("uplot/package.json")), "dist", "uPlot.min.css");
    return existsSync(css) ? assetOf(new Uint8Array(readFileSync(css)), css) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The coding to send for an Accept-Encoding header (RFC 9110 12.5.3): brotli, else gzip, else none. A coding listed
 * with q=0 is refused; "*" stands for every coding not listed.
 */
export function negotiateEncoding(acceptEncoding: string): Encoding {
  if (acceptEncoding === "") return "identity";
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "q" && value !== undefined) q = Number(value) || 0;
    }
    weights.set(name.trim(), q);
  }
  const weight = (coding: string) => weights.get(coding) ?? weights.get("*") ?? 0;
  const br = weight("br");
  const gzip = Math.max(weight("gzip"), weights.get("x-gzip") ?? 0);
  if (br > 0 && br >= gzip) return "br";
  if (gzip > 0) return "gzip";
  return "identity";
}

export interface AssetRequest {
  readonly ifNoneMatch: string;
  readonly acceptEncoding: string;
  readonly head: boolean;
  /** The ?v= of the URL: when it names this asset's hash, the answer may be cached for a year. */
  readonly version: string | undefined;
}

/** Everything needed from req, read before any callback returns (uWS invalidates req after the handler). */
export function assetRequestOf(req: HttpRequest, head: boolean): AssetRequest {
  const query = rawQueryOf(req);
  const match = /(?:^|&)v=([^&]*)/.exec(query);
  return {
    ifNoneMatch: req.getHeader("if-none-match"),
    acceptEncoding: req.getHeader("accept-encoding"),
    head,
    version: match?.[1],
  };
}

/** Versioned URLs change with the content: immutable for a year. Everything else revalidates (cheap 304s) each time. */
export const immutableCache = "public, max-age=31536000, immutable";

/** Writes an asset in the best accepted encoding, or 304 when If-None-Match names that representation; HEAD sends no body. */
export function writeAsset(res: HttpResponse, asset: Asset, request: AssetRequest, extraHeaders: Record<string, string> = {}): void {
  const encoding = negotiateEncoding(request.acceptEncoding);
  const rep = (encoding === "br" ? asset.br : encoding === "gzip" ? (asset.gzip ?? undefined) : undefined) ?? asset.identity;
  const coded = rep !== asset.identity;
  const notModified = etagMatches(request.ifNoneMatch, rep.etag);
  const cacheControl = request.version !== undefined && request.version === asset.hash ? immutableCache : "no-cache";
  res.cork(() => {
    res.writeStatus(notModified ? "304 Not Modified" : "200 OK");
    res.writeHeader("Content-Type", asset.contentType);
    res.writeHeader("ETag", rep.etag);
    res.writeHeader("X-Content-Type-Options", "nosniff");
    if (asset.br || asset.gzip) res.writeHeader("Vary", "Accept-Encoding");
    if (coded) res.writeHeader("Content-Encoding", encoding);
    const headers = { "Cache-Control": cacheControl, ...extraHeaders };
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    if (notModified) endEmpty(res);
    else if (request.head) {
      // The headers a GET would carry, Content-Length included, and no body: uWS's end() would send the body even to a
      // HEAD, and its endWithoutBody(length) aborts this build, so the length goes in as a header (RFC 9110 9.3.2).
      res.writeHeader("Content-Length", String(rep.bytes.length));
      endEmpty(res);
    } else res.end(rep.bytes);
  });
}
