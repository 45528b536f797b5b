// End to end on a local 3-master Redis Cluster: HTTP ingest -> sharded counters on every master -> fold -> two broadcasters.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, isCluster, type RedisClient } from "../core/redis.js";
import { openStore } from "../core/store/index.js";
import { campaignKeys } from "../core/store/keys.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { reconcile } from "../reconcile/compare.js";
import { testConfig } from "./support/config.js";
import { readTotals } from "./support/counters.js";
import { LiveViewer } from "./support/live-viewer.js";
import { RedisCluster } from "./support/redis-server.js";

let cluster: RedisCluster;
let config: Config;
let redis: RedisClient;
let runtime: IngestRuntime;
let gateway: RunningGateway;
let aggregator: Aggregator;
const broadcasters: Broadcaster[] = [];
/** What a payments export of this test would hold, for reconciliation. */
const exported = new Map<string, PaymentEvent>();

beforeAll(async () => {
  cluster = await RedisCluster.start();
  config = testConfig({
    REDIS_CLUSTER_NODES: cluster.envValue,
    CAMPAIGN: "cl-e2e",
    SHARDS: "24",
    FOLD_INTERVAL_MS: "50",
    HEARTBEAT_MS: "500",
    BROADCASTER_PORT: "0",
  });
  redis = createRedis(config, { name: "test" });
  runtime = createIngestRuntime(config);
  gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  aggregator = await startAggregator({ config });
  broadcasters.push(await startBroadcaster({ config }), await startBroadcaster({ config }));
}, 30000);

afterAll(async () => {
  for (const b of broadcasters) await b.close();
  await aggregator?.stop();
  await gateway?.close();
  runtime?.redis.disconnect();
  if (redis) await closeRedis(redis);
  await cluster?.stop();
});

it("counts posted payments exactly on a 3-master cluster and both broadcasters show the same total", async () => {
  expect(isCluster(redis)).toBe(true);
  const viewers = broadcasters.map((b) => new LiveViewer(`ws://127.0.0.1:${b.port}/v1/live`));
  await Promise.all(viewers.map((v) => v.opened));

  // 600 distinct events in batches of 100, every batch re-sent once (a retry): counted once each.
  let expected = 0n;
  let payments = 0;
  for (let batch = 0; batch < 6; batch++) {
    const events = Array.from({ length: 100 }, (_, i) => {
      const n = batch * 100 + i;
      const refund = n % 10 === 9;
      if (!refund) payments++;
      const amount = 1_000_000_000 + n;
      expected += refund ? -BigInt(amount) : BigInt(amount);
      const type: PaymentEvent["type"] = refund ? "refund" : "payment";
      const event = { paymentId: `cl-${n}`, amount, currency: "KRW", occurredAt: new Date().toISOString(), type, channel: "web" };
      exported.set(event.paymentId, { ...event, campaign: config.campaign, category: undefined });
      return event;
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { accepted: number; duplicates: number };
      expect(attempt === 0 ? body.accepted : body.duplicates).toBe(100);
    }
  }

  // The shard keys are spread over all three masters.
  const keyCounts = await Promise.all(cluster.nodes.map((n) => n.cli("dbsize")));
  expect(keyCounts.every((size) => Number(size) > 0)).toBe(true);
  const raw = await readTotals(redis, config.campaign, config.shards);
  expect(raw.net).toBe(expected);

  // Pub/sub crosses the cluster: each broadcaster gets the exact total, with seq never going backwards.
  for (const viewer of viewers) {
    const seen = await viewer.waitFor((s) => BigInt(s.total) === expected, 5000);
    expect(seen.count).toBe(payments);
    expect(viewer.regressions).toEqual([]);
    viewer.close();
  }
  const keys = campaignKeys(config.campaign, config.shards);
  expect(await redis.hget(keys.meta, "epoch")).toBe(viewers[0]?.latest()?.epoch);
}, 40000);

it("reconciles the cluster's counters with the export, scanning the dedupe marks on every master", async () => {
  const store = openStore(redis, config);
  const marks = await store.dedupeMarks.read(config.campaign);
  expect(marks.size).toBe(600);
  const result = reconcile(exported, marks, await store.totals.read(config.campaign));
  expect(result.missing).toEqual([]);
  expect(result.extra).toEqual([]);
  expect(result.matches).toBe(true);
});
