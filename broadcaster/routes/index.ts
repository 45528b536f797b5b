// The route table: to add an endpoint (/v1/stream, /v1/history, /, /dashboard, /widget.js), add a file
// exporting register(app, ctx) and list it here. The server registers these in order, then the 404 fallback.
import type { RouteModule } from "../context.js";
import * as cors from "./cors.js";
import * as dashboard from "./dashboard.js";
import * as health from "./health.js";
import * as history from "./history.js";
import * as live from "./live.js";
import * as metrics from "./metrics.js";
import * as pages from "./pages.js";
import * as stream from "./stream.js";
import * as total from "./total.js";

export const routes: readonly RouteModule[] = [health, metrics, cors, total, live, stream, history, pages, dashboard];
