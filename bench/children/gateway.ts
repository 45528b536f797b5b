// Child process: the ingest gateway (uWS -> ingestHttp handler -> counter writer), optionally with aggregator + broadcaster.
import { startAggregator } from "../../aggregator/aggregator.js";
import { startBroadcaster } from "../../broadcaster/server.js";
import { parseConfig } from "../../core/config.js";
import { createIngestRuntime } from "../../ingest/domain/runtime.js";
import { createHttpHandler } from "../../ingest/handlers/ingest-http.js";
import { startGateway } from "../../ingest/local/api-gateway.js";
import { childReady } from "../lib/child.js";

const config = parseConfig({ ...process.env, BROADCASTER_PORT: "0", INGEST_PORT: "0" });
const runtime = createIngestRuntime(config);
const gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
const withViewers = process.env.BENCH_WITH_BROADCASTER === "1";
const aggregator = withViewers ? await startAggregator({ config }) : undefined;
const broadcaster = withViewers ? await startBroadcaster({ config }) : undefined;
childReady({ port: gateway.port, broadcasterPort: broadcaster?.port ?? 0 }, async () => {
  await broadcaster?.close();
  await aggregator?.stop();
  await gateway.close();
  runtime.redis.disconnect();
});
