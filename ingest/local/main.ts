// Process entry for `npm run start:ingest`: the local API gateway (ingestHttp) and the Lambda Invoke API (all functions).
import { Gauge } from "prom-client";
import { loadConfigOrExit, requireIngestSecret } from "../../core/config.js";
import { closeRedis } from "../../core/redis.js";
import { checkRedisAtStart, RedisStartupError } from "../../core/redis-startup.js";
import { ingestRegistry, prometheusIngestMetrics } from "../domain/metrics-prometheus.js";
import { createIngestRuntime } from "../domain/runtime.js";
import { createHttpHandler } from "../handlers/ingest-http.js";
import { startGateway } from "./api-gateway.js";
import { startLambdaApi } from "./lambda-invoke-api/server.js";

const config = loadConfigOrExit(process.env, requireIngestSecret);
// prom-client always: the gateway serves /metrics, wherever it runs.
const runtime = createIngestRuntime(config, undefined, undefined, prometheusIngestMetrics);
const exitOnRedisProblem = (err: unknown): never => {
  if (!(err instanceof RedisStartupError)) throw err;
  runtime.logger.fatal({ code: err.code }, err.message);
  process.exit(78);
};
await checkRedisAtStart(runtime.redis, config, {
  refuseEviction: true,
  warn: (message) => runtime.logger.warn(message),
  onLateProblem: exitOnRedisProblem,
}).catch(exitOnRedisProblem);
new Gauge({
  name: "sales_redis_connected",
  help: "1 while this ingest process's Redis connection is ready, else 0",
  registers: [ingestRegistry],
  collect() {
    this.set(runtime.redis.status === "ready" ? 1 : 0);
  },
});
const gateway = await startGateway({
  host: config.host,
  port: config.ingestPort,
  handler: createHttpHandler(() => runtime),
  logger: runtime.logger,
});
const lambdaApi = await startLambdaApi({ host: config.host, port: config.lambdaPort, logger: runtime.logger, runtime });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  runtime.logger.info({ signal }, "ingest stopping");
  // Stop accepting and let requests and async invocations in flight finish before Redis goes away.
  await Promise.all([gateway.close(), lambdaApi.drain()]);
  await lambdaApi.close();
  await closeRedis(runtime.redis);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
