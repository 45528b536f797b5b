// What every route gets: config, logger, the snapshot store and its Redis feed, metrics, the connection budget, a close hook.

import type { TemplatedApp } from "uWebSockets.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { uwsTransport } from "../core/uws-http.js";
import type { ConnectionBudget } from "./connection-budget.js";
import type { DashboardAuth } from "./dashboard-auth.js";
import type { BroadcasterMetrics } from "./metrics.js";
import type { SnapshotFeed } from "./snapshot-feed.js";
import type { SnapshotStore } from "./snapshot-store.js";

/** Whether the uWS native binary loaded or its JS fallback runs (reported in /healthz). */
export type Transport = typeof uwsTransport;

export interface BroadcasterContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly transport: Transport;
  /** `<package>@<version>` of the uWS build in use (reported in /healthz). */
  readonly uwsPackage: string;
  readonly startedAtMs: number;
  /** Latest snapshot per campaign, with its bytes serialized once. */
  readonly store: SnapshotStore;
  /** Redis side: readiness and on-demand lookup of campaigns not seen yet. */
  readonly feed: SnapshotFeed;
  readonly metrics: BroadcasterMetrics;
  /** Long-lived viewer connections (WS, SSE) against config.maxConnections. */
  readonly connections: ConnectionBudget;
  /** DASHBOARD_TOKEN checks: the full view, history and milestones are private when it is set. */
  readonly auth: DashboardAuth;
  /** Runs `cleanup` on close, after the listen socket is closed and before Redis is: e.g. end open sockets. */
  onClose(cleanup: () => void): void;
}

/** A route module: one file under routes/, listed in routes/index.ts. */
export interface RouteModule {
  register(app: TemplatedApp, ctx: BroadcasterContext): void;
}
