// OPTIONS /v1/*: CORS preflight, needed when a page on another origin sends If-None-Match itself.
import type { TemplatedApp } from "uWebSockets.js";
import { endEmpty } from "../../core/uws-request.js";

export function register(app: TemplatedApp): void {
  app.options("/v1/*", (res) => {
    res
      .writeStatus("204 No Content")
      .writeHeader("Access-Control-Allow-Origin", "*")
      .writeHeader("Access-Control-Allow-Methods", "GET, OPTIONS")
      .writeHeader("Access-Control-Allow-Headers", "If-None-Match")
      .writeHeader("Access-Control-Max-Age", "86400");
    endEmpty(res);
  });
}
