// GET /metrics: Prometheus text format from the broadcaster's own registry.

import type { TemplatedApp } from "uWebSockets.js";
import type { BroadcasterContext } from "../context.js";
import { replyLater } from "../http.js";

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const { registry } = ctx.metrics;
  app.get("/metrics", (res) => {
    replyLater(res, registry.metrics(), (text) => {
      res.writeStatus("200 OK").writeHeader("Content-Type", registry.contentType).writeHeader("Cache-Control", "no-store").end(text);
    });
  });
}
