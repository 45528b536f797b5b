// A half-open subscriber connection (the peer vanished: no FIN, no RST) is reset by the broadcaster itself: the feed
// goes stale, the broadcaster probes its connections, reconnects them and is ready again without anyone restarting it.
// The broadcaster reaches Redis through a TCP proxy that freezes its connections; the aggregator connects directly.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import { createLogger } from "../core/logger.js";
import type { Snapshot } from "../core/snapshot.js";
import { testConfig } from "./support/config.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";
import { TcpProxy } from "./support/tcp-proxy.js";

const logger = createLogger("test", "silent");
let server: RedisServer;
let proxy: TcpProxy;
let aggregator: Aggregator;
let broadcaster: Broadcaster;
let base: string;

beforeAll(async () => {
  server = await RedisServer.start();
  proxy = await TcpProxy.start(server.port);
  const env = { CAMPAIGN: "halfopen", SHARDS: "4", FOLD_INTERVAL_MS: "50", HEARTBEAT_MS: "200", BROADCASTER_PORT: "0" };
  aggregator = await startAggregator({ config: testConfig({ ...env, REDIS_URL: server.url }), logger });
  broadcaster = await startBroadcaster({ config: testConfig({ ...env, REDIS_URL: proxy.url }), logger });
  base = `http://127.0.0.1:${broadcaster.port}`;
});
afterAll(async () => {
  await broadcaster?.close();
  await aggregator?.stop();
  await proxy?.stop();
  await server?.stop();
});

const readyz = async () => (await fetch(`${base}/readyz`)).status;
const total = async () => (await (await fetch(`${base}/v1/total`)).json()) as Snapshot;

it("reconnects a subscriber that stopped delivering without closing, and is ready again by itself", async () => {
  await waitUntil(async () => ((await readyz()) === 200 ? true : undefined), "ready");
  expect(proxy.freezeAll()).toBeGreaterThanOrEqual(2); // the command and the subscriber connection
  const frozenAt = await total();
  // Nothing arrives any more: the broadcaster goes unready (stale snapshot) ...
  await waitUntil(async () => ((await readyz()) === 503 ? true : undefined), "not ready while frozen", 5000);
  // ... then resets its connections, resubscribes through new ones, and serves fresh snapshots again.
  await waitUntil(async () => ((await readyz()) === 200 ? true : undefined), "ready again without a restart", 15_000);
  const after = await waitUntil(async () => {
    const s = await total();
    return s.seq > frozenAt.seq + 2 ? s : undefined;
  }, "snapshots flowing again");
  expect(after.epoch).toBe(frozenAt.epoch);
  expect(proxy.connections).toBeGreaterThanOrEqual(2);
}, 30_000);
