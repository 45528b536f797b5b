// Static assets for the viewer page and dashboard: read once at start, served from memory with a content type and an ETag.

import type { HttpResponse } from "uWebSockets.js";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { endEmpty } from "../../core/uws-request.js";
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

export interface Asset {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly etag: string;
}

export function assetOf(bytes: Uint8Array, fileName: string): Asset {
  const hash = createHash("sha1").update(bytes).digest("base64url").slice(0, 20);
  return { bytes, contentType: contentTypes[extname(fileName)] ?? "application/octet-stream", etag: `"${hash}"` };
}

/** Reads a file of broadcaster/public, optionally rewriting its text once (placeholders filled from config). */
export function loadPublic(fileName: string, rewrite?: (text: string) => string): Asset {
  const raw = readFileSync(join(publicDir, fileName));
  const bytes = rewrite ? new TextEncoder().encode(rewrite(raw.toString("utf8"))) : new Uint8Array(raw);
  return assetOf(bytes, fileName);
}

/** uPlot's browser build from node_modules (no CDN), or undefined when the package is not installed. */
export function loadUplot(): { js: Asset; css: Asset } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve("uplot/package.json"));
    const js = join(root, "dist", "uPlot.iife.min.js");
    const css = join(root, "dist", "uPlot.min.css");
    if (!existsSync(js) || !existsSync(css)) return undefined;
    return { js: assetOf(new Uint8Array(readFileSync(js)), js), css: assetOf(new Uint8Array(readFileSync(css)), css) };
  } catch {
    return undefined;
  }
}

/** Writes an asset, or 304 when If-None-Match matches. Assets change only with a deploy, so caches revalidate each time. */
export function writeAsset(res: HttpResponse, asset: Asset, ifNoneMatch: string, extraHeaders: Record<string, string> = {}): void {
  const notModified = etagMatches(ifNoneMatch, asset.etag);
  res.cork(() => {
    res.writeStatus(notModified ? "304 Not Modified" : "200 OK");
    res.writeHeader("Content-Type", asset.contentType);
    res.writeHeader("ETag", asset.etag);
    res.writeHeader("X-Content-Type-Options", "nosniff");
    const headers = { "Cache-Control": "no-cache", ...extraHeaders };
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    if (notModified) endEmpty(res);
    else res.end(asset.bytes);
  });
}
