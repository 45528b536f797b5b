// Child process: the local Lambda Invoke API (uWS -> ingestQueue / ingestHttp / ingestStream -> counter writer).
import { parseConfig } from "../../core/config.js";
import { createIngestRuntime } from "../../ingest/domain/runtime.js";
import { startLambdaApi } from "../../ingest/local/lambda-invoke-api/server.js";
import { childReady } from "../lib/child.js";

const config = parseConfig({ ...process.env, LAMBDA_PORT: "0" });
const runtime = createIngestRuntime(config);
const api = await startLambdaApi({ host: "127.0.0.1", port: 0, logger: runtime.logger, runtime });
childReady({ port: api.port }, async () => {
  await api.drain();
  await api.close();
  runtime.redis.disconnect();
});
