// The aggregator's own small HTTP endpoint (AGGREGATOR_PORT): GET /healthz for container health checks, GET /metrics for
// Prometheus. node:http is enough: two routes polled every few seconds, nothing on the fold's hot path.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { errorBody } from "../core/errors.js";
import type { Logger } from "../core/logger.js";

export interface HealthSource {
  isLeader(): boolean;
  stats(): { epoch: string | undefined; lastSeq: number | undefined; lastFoldMs: number | undefined; folds: number };
  readonly registry: Registry;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startAggregatorHealth(host: string, port: number, source: HealthSource, logger: Logger): Promise<HealthServer> {
  const startedAtMs = Date.now();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") {
      const body = {
        status: "ok",
        leader: source.isLeader(),
        uptimeSeconds: Math.round((Date.now() - startedAtMs) / 1000),
        ...source.stats(),
      };
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      source.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": source.registry.contentType }).end(text),
        (err: unknown) => {
          logger.error({ err }, "metrics failed");
          res.writeHead(500, { "content-type": "application/json" }).end(errorBody("INTERNAL", "metrics failed"));
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end(errorBody("NOT_FOUND", `no route ${req.method} ${path}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  logger.info({ host, port: bound }, "aggregator health listening");
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
