// Fallback for every path no route claims: 404 with a JSON error code. Registered last, after the route table.

import type { TemplatedApp } from "uWebSockets.js";
import { methodOf, pathOf } from "../../core/uws-request.js";
import { writeError } from "../http.js";

export function registerNotFound(app: TemplatedApp): void {
  app.any("/*", (res, req) => {
    writeError(res, 404, "NOT_FOUND", `no route for ${methodOf(req)} ${pathOf(req)}`);
  });
}
