// Crash test on a 3-master cluster: kill -9 one master (AOF) during ingest while senders retry anything not acknowledged.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { campaignKeys } from "../core/keys.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { parseSnapshot } from "../core/snapshot.js";
import { type RunningGateway, startGateway } from "../ingest/gateway.js";
import { createHttpHandler } from "../ingest/ingest-http.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/runtime.js";
import { testConfig } from "./support/config.js";
import { readTotals } from "./support/counters.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisCluster } from "./support/redis-server.js";

let cluster: RedisCluster;
let config: Config;
let redis: RedisClient;
let runtime: IngestRuntime;
let gateway: RunningGateway;
let aggregator: Aggregator;

beforeAll(async () => {
  cluster = await RedisCluster.start(3, { aof: true });
  config = testConfig({
    REDIS_CLUSTER_NODES: cluster.envValue,
    CAMPAIGN: "crash",
    SHARDS: "16",
    FOLD_INTERVAL_MS: "100",
    HEARTBEAT_MS: "300",
  });
  redis = createRedis(config, { name: "test" });
  redis.on("error", () => undefined); // Redis is killed on purpose
  runtime = createIngestRuntime(config);
  runtime.redis.on("error", () => undefined);
  gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  aggregator = await startAggregator({ config });
}, 30000);

afterAll(async () => {
  await aggregator?.stop();
  await gateway?.close();
  runtime?.redis.disconnect();
  await closeRedis(redis);
  await cluster?.stop();
});

interface SendStats {
  requests: number;
  failures: number;
}

/** Posts one batch until every event in it is acknowledged (accepted or duplicate), as a payment provider's webhook retries. */
async function sendUntilAcked(events: unknown[], stats: SendStats): Promise<void> {
  for (;;) {
    stats.requests++;
    try {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 200) {
        const body = (await res.json()) as { accepted: number; duplicates: number };
        if (body.accepted + body.duplicates === events.length) return;
      } else await res.arrayBuffer();
    } catch {
      // connection reset or timeout: not acknowledged, retry
    }
    stats.failures++;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("ends with the exact sum of distinct events after one cluster master is SIGKILLed and restarted mid-ingest", async () => {
  const senders = 4;
  const batchesPerSender = 40;
  const batchSize = 25;
  let expected = 0n;
  const batches: unknown[][][] = Array.from({ length: senders }, (_, s) =>
    Array.from({ length: batchesPerSender }, (_, b) =>
      Array.from({ length: batchSize }, (_, i) => {
        const amount = 1_000 + s * 100_000 + b * 100 + i;
        expected += BigInt(amount);
        return { paymentId: `crash-${s}-${b}-${i}`, amount, currency: "KRW", occurredAt: new Date().toISOString() };
      }),
    ),
  );
  const total = senders * batchesPerSender * batchSize;
  const stats: SendStats = { requests: 0, failures: 0 };
  let acked = 0;
  const sending = Promise.all(
    batches.map(async (own) => {
      for (const batch of own) {
        await sendUntilAcked(batch, stats);
        acked += batch.length;
      }
    }),
  );

  // Crash once a third is acknowledged, and stay down for 700 ms while the senders keep retrying.
  await waitUntil(() => (acked >= total / 3 ? true : undefined), "a third of the events acknowledged", 30000);
  const ackedAtCrash = acked;
  const victim = cluster.nodes[1];
  if (!victim) throw new Error("three masters expected");
  await victim.kill();
  await new Promise((r) => setTimeout(r, 700));
  await victim.restart();
  await sending;
  console.log(
    `crash-cluster: ${total} distinct events, ${ackedAtCrash} acknowledged at the crash, ${stats.requests} requests, ${stats.failures} failed and retried`,
  );

  expect(stats.failures).toBeGreaterThan(0);
  // Right after the restart a read may still meet a MOVED/CLUSTERDOWN answer; the counters themselves must be exact.
  const raw = await waitUntil(
    () => readTotals(redis, config.campaign, config.shards).catch(() => undefined),
    "readable counters after the restart",
    10000,
  );
  expect(raw.net).toBe(expected);
  expect(raw.count).toBe(total);

  // The aggregator rode through the crash too: the epoch survived in the AOF and the snapshot is exact.
  const keys = campaignKeys(config.campaign, config.shards);
  const latest = await waitUntil(
    async () => {
      const json = await redis.get(keys.latest);
      const snapshot = json === null ? undefined : parseSnapshot(json);
      return snapshot && BigInt(snapshot.total) === expected ? snapshot : undefined;
    },
    "an exact snapshot after the crash",
    10000,
  );
  expect(latest.count).toBe(total);
  expect(latest.epoch).toBe(aggregator.stats().epoch);
}, 55000);
