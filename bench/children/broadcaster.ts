// Child process: aggregator + broadcaster against REDIS_URL, for the http, fanout and e2e benchmarks.
import { startAggregator } from "../../aggregator/aggregator.js";
import { startBroadcaster } from "../../broadcaster/server.js";
import { parseConfig } from "../../core/config.js";
import { childReady } from "../lib/child.js";

const config = parseConfig({ ...process.env, BROADCASTER_PORT: "0" });
const aggregator = await startAggregator({ config });
const broadcaster = await startBroadcaster({ config });
childReady({ port: broadcaster.port }, async () => {
  await broadcaster.close();
  await aggregator.stop();
});
