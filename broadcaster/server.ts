// Broadcaster entry for code: startBroadcaster() runs the uWS server with its routes and the Redis snapshot feed.

import type { TemplatedApp, us_listen_socket } from "uWebSockets.js";
import type { Config } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import { createApp } from "../core/uws-app.js";
import { listen, uwsTransport as transport, uws, uwsLoad } from "../core/uws-http.js";
import { startBroadcasterEmf } from "./cloudwatch-metrics.js";
import { ConnectionBudget } from "./connection-budget.js";
import type { BroadcasterContext, Transport } from "./context.js";
import { DashboardAuth } from "./dashboard-auth.js";
import { createBroadcasterMetrics } from "./metrics.js";
import { readiness } from "./routes/health.js";
import { routes } from "./routes/index.js";
import { registerNotFound } from "./routes/not-found.js";
import { SnapshotFeed } from "./snapshot-feed.js";
import { SnapshotStore } from "./snapshot-store.js";

export interface BroadcasterOptions {
  readonly config: Config;
  readonly logger?: Logger;
}

export interface Broadcaster {
  /** The port listened on (the one picked by the OS when config.broadcasterPort is 0). */
  readonly port: number;
  readonly transport: Transport;
  /** Stops listening, closes every viewer socket, quits Redis. */
  close(): Promise<void>;
}

export async function startBroadcaster(options: BroadcasterOptions): Promise<Broadcaster> {
  const { config } = options;
  const logger = options.logger ?? createLogger("broadcaster", config.logLevel);
  const uwsPackage = uwsLoad.package;
  if (transport === "native") logger.info({ transport, uws: uwsPackage, skipped: uwsLoad.skipped }, "uWebSockets.js native binary loaded");

  const store = new SnapshotStore();
  const connections = new ConnectionBudget(config.maxConnections);
  const feed = new SnapshotFeed(config, store, logger);
  let ctxForMetrics: BroadcasterContext | undefined;
  const metrics = createBroadcasterMetrics({
    connections: () => connections.open,
    latest: () => store.get(config.campaign),
    notifications: () => feed.data.notifications.readStates(config.campaign),
    ready: () => ctxForMetrics !== undefined && readiness(ctxForMetrics).ready,
    redisConnected: () => {
      const r = feed.readiness();
      return r.redisReady && r.subscribed;
    },
  });
  store.onSnapshot(() => metrics.snapshotsReceived.inc());
  let redisReconnects = 0;
  feed.onReconnect(() => {
    redisReconnects++;
    metrics.redisReconnects.inc();
  });
  const cleanups: Array<() => void> = [];
  const ctx: BroadcasterContext = {
    config,
    logger,
    transport,
    uwsPackage,
    startedAtMs: Date.now(),
    store,
    feed,
    metrics,
    connections,
    auth: new DashboardAuth(config.dashboardToken),
    onClose: (cleanup) => cleanups.push(cleanup),
  };
  ctxForMetrics = ctx;

  const app = createApp({ name: "broadcaster", logger });
  for (const route of routes) route.register(app, ctx);
  registerNotFound(app);

  try {
    await feed.start();
  } catch (err) {
    await feed.close();
    throw err;
  }
  let listenSocket: us_listen_socket;
  let port: number;
  try {
    ({ token: listenSocket, port } = await listen(app, config.host, config.broadcasterPort, "broadcaster"));
  } catch (err) {
    logger.fatal({ err, host: config.host, port: config.broadcasterPort }, "broadcaster cannot listen");
    await feed.close();
    throw err;
  }
  logger.info({ host: config.host, port, transport, uws: uwsPackage, campaign: config.campaign }, "broadcaster listening");
  const emf = startBroadcasterEmf(config, {
    connections: () => connections.open,
    latest: () => store.get(config.campaign),
    redisReconnects: () => redisReconnects,
  });

  let closing: Promise<void> | undefined;
  const close = async () => {
    uws.us_listen_socket_close(listenSocket);
    emf?.stop();
    for (const cleanup of cleanups) cleanup();
    // Also drops idle keep-alive HTTP sockets, which would keep the event loop alive. Missing from the typings.
    (app as TemplatedApp & { close?: () => void }).close?.();
    await feed.close();
    logger.info("broadcaster closed");
  };
  return {
    port,
    transport,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
