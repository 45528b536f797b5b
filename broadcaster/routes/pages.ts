// GET / (public viewer page), GET /widget.js (the counter as one embeddable script) and GET /static/* (page assets).

import type { TemplatedApp } from "uWebSockets.js";
import { pathOf } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { writeError } from "../http.js";
import { type Asset, loadPublic, loadUplot, writeAsset } from "./pages-assets.js";

/** Without a snapshot for this long the client calls its number stale and reconnects: a few missed heartbeats. */
export function staleAfterMs(heartbeatMs: number): number {
  return heartbeatMs * 3 + 2000;
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const stale = String(staleAfterMs(ctx.config.heartbeatMs));
  const fill = (text: string) => text.replaceAll("{{STALE_AFTER_MS}}", stale).replaceAll("{{CAMPAIGN}}", ctx.config.campaign);
  const index = loadPublic("index.html", fill);
  const client = loadPublic("counter-client.js");
  const counterView = loadPublic("counter-view.js");
  // One tag on an event page: the client, the view and the bootstrap that mounts it, concatenated once.
  const widgetSource = ["counter-client.js", "counter-view.js", "widget.js"]
    .map((name) => new TextDecoder().decode(loadPublic(name).bytes))
    .join("\n");
  const widget = loadPublic("widget.js", () => fill(widgetSource));

  const assets = new Map<string, Asset>([
    ["counter-client.js", client],
    ["counter-view.js", counterView],
    ["viewer.css", loadPublic("viewer.css")],
  ]);
  for (const name of ["dashboard.js", "dashboard.css", "dashboard-chart.js"]) {
    try {
      assets.set(name, loadPublic(name));
    } catch {
      // The dashboard files are optional for the viewer.
    }
  }
  const uplot = loadUplot();
  if (uplot) {
    assets.set("uPlot.iife.min.js", uplot.js);
    assets.set("uPlot.min.css", uplot.css);
  } else ctx.logger.warn("uplot is not installed: the dashboard charts are off");

  app.get("/", (res, req) => writeAsset(res, index, req.getHeader("if-none-match")));
  // Any origin may embed the widget.
  app.get("/widget.js", (res, req) => writeAsset(res, widget, req.getHeader("if-none-match"), { "Access-Control-Allow-Origin": "*" }));
  app.get("/static/:name", (res, req) => {
    const asset = assets.get(req.getParameter(0) ?? "");
    if (!asset) return writeError(res, 404, "NOT_FOUND", `no asset ${pathOf(req)}`);
    writeAsset(res, asset, req.getHeader("if-none-match"));
  });
}
