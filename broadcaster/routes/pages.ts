// GET|HEAD / (public viewer page), /widget.js (the counter as one embeddable script) and /static/* (page assets).

import type { HttpRequest, HttpResponse, TemplatedApp } from "uWebSockets.js";
import { endEmpty, pathOf } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { writeError } from "../http.js";
import { type Asset, type AssetRequest, assetOf, assetRequestOf, loadPublic, loadUplotCss, writeAsset } from "./pages-assets.js";
import { loadPages, staleAfterPlaceholder } from "./pages-bundle.js";

/** Without a newer snapshot for this long the client calls its number stale: a few missed heartbeats. */
export function staleAfterMs(heartbeatMs: number): number {
  return heartbeatMs * 3 + 2000;
}

const built = new WeakMap<BroadcasterContext, Map<string, Asset>>();

/** The static assets every page may use (viewer and dashboard alike), by name under /static/, built and compressed once. */
export function pageAssets(ctx: BroadcasterContext): Map<string, Asset> {
  const cached = built.get(ctx);
  if (cached) return cached;
  const stale = String(staleAfterMs(ctx.config.heartbeatMs));
  const assets = new Map<string, Asset>();
  for (const [name, bytes] of loadPages()) {
    // Config values are filled into the built text here, so one build serves every configuration.
    const text = new TextDecoder().decode(bytes);
    const filled = text.includes(staleAfterPlaceholder) ? new TextEncoder().encode(text.replaceAll(staleAfterPlaceholder, stale)) : bytes;
    assets.set(name, assetOf(filled, name));
  }
  const uplotCss = loadUplotCss();
  if (uplotCss) assets.set("uPlot.min.css", uplotCss);
  built.set(ctx, assets);
  return assets;
}

/** Fills {{ASSET:name}} with a versioned URL (cached for a year, a new URL on every change) and config placeholders. */
export function fillTemplate(text: string, assets: ReadonlyMap<string, Asset>, values: Readonly<Record<string, string>>): string {
  let out = text.replace(/\{\{ASSET:([\w.-]+)\}\}/g, (_m, name: string) => {
    const asset = assets.get(name);
    if (!asset) throw new Error(`page template names an unknown asset ${name}`);
    return `/static/${name}?v=${asset.hash}`;
  });
  for (const [name, value] of Object.entries(values)) out = out.replaceAll(`{{${name}}}`, value);
  return out;
}

/** Registers GET and HEAD for one path (uWS routes HEAD separately; without this HEAD answers 404). */
export function getAndHead(
  app: TemplatedApp,
  path: string,
  handler: (res: HttpResponse, req: HttpRequest, request: AssetRequest) => void,
): void {
  app.get(path, (res, req) => handler(res, req, assetRequestOf(req, false)));
  app.head(path, (res, req) => handler(res, req, assetRequestOf(req, true)));
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const assets = pageAssets(ctx);
  const index = loadPublic("index.html", (text) =>
    fillTemplate(text, assets, { STALE_AFTER_MS: String(staleAfterMs(ctx.config.heartbeatMs)), CAMPAIGN: ctx.config.campaign }),
  );
  const widget = assets.get("widget.js") as Asset;

  getAndHead(app, "/", (res, _req, request) => writeAsset(res, index, request));
  // Any origin may embed the widget. Its URL cannot carry a version (embedders copy it once): caches keep it 5 minutes.
  getAndHead(app, "/widget.js", (res, _req, request) =>
    writeAsset(res, widget, request, {
      "Access-Control-Allow-Origin": "*",
      "Cache-Control": "public, max-age=300, stale-while-revalidate=3600",
    }),
  );
  getAndHead(app, "/static/:name", (res, req, request) => {
    const asset = assets.get(req.getParameter(0) ?? "");
    if (!asset) {
      if (!request.head) return writeError(res, 404, "NOT_FOUND", `no asset ${pathOf(req)}`);
      // uWS's end() would send a body to a HEAD too, which breaks the client's next response on a kept-alive connection.
      return res.cork(() => {
        res.writeStatus("404 Not Found");
        res.writeHeader("Content-Length", "0");
        endEmpty(res);
      });
    }
    writeAsset(res, asset, request);
  });
}
