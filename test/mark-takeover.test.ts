// The published mark is shared: a cluster master restarts empty (no persistence) while the campaign's meta key lives on
// another master; the leading aggregator is then SIGKILLed. The standby that takes over publishes no lower total.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { counterWriter } from "./support/counters.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisCluster, type RedisServer } from "./support/redis-server.js";

let cluster: RedisCluster;
let config: Config;
let redis: RedisClient;
let subscriber: RedisClient;
const aggregators: Component[] = [];
const published: Array<{ atMs: number; snapshot: Snapshot }> = [];

beforeAll(async () => {
  cluster = await RedisCluster.start(3);
  const env = { REDIS_CLUSTER_NODES: cluster.envValue, CAMPAIGN: "takeover", SHARDS: "8", FOLD_INTERVAL_MS: "100", HEARTBEAT_MS: "200" };
  config = testConfig(env);
  redis = createRedis(config, { name: "test" });
  redis.on("error", () => undefined);
  subscriber = createSubscriber(config, "test-sub");
  subscriber.on("error", () => undefined);
  subscriber.on("message", (_c: string, json: string) => published.push({ atMs: Date.now(), snapshot: parseSnapshot(json) }));
  await subscriber.subscribe(campaignKeys(config.campaign, config.shards).snapshots);
  for (let i = 0; i < 2; i++) aggregators.push(Component.start("aggregator/main.ts", env));
}, 40000);

afterAll(async () => {
  await Promise.all(aggregators.map((a) => a.stop()));
  await closeRedis(subscriber);
  await closeRedis(redis);
  await cluster?.stop();
});

async function leaderPid(): Promise<number | undefined> {
  const owner = await redis.get(campaignKeys(config.campaign, config.shards).leader).catch(() => null);
  return owner === null ? undefined : Number(owner.split(":")[1]);
}

it("publishes no lower total after a shard's master restarted empty and the leader was replaced", async () => {
  const keys = campaignKeys(config.campaign, config.shards);
  const events: PaymentEvent[] = Array.from({ length: 200 }, (_, i) => ({
    paymentId: `to-${i}`,
    amount: 1_000 + i,
    currency: "KRW",
    occurredAt: new Date().toISOString(),
    type: "payment",
    campaign: config.campaign,
    channel: undefined,
    category: undefined,
  }));
  const expected = events.reduce((sum, e) => sum + BigInt(e.amount), 0n);
  await counterWriter(redis, { shards: config.shards, dedupeTtlSeconds: 3600 }).write(events);
  await waitUntil(() => published.find((p) => BigInt(p.snapshot.total) === expected), "the full total", 15000);

  // A master that holds shard counters but not the campaign's meta key (epoch, mark, lease) restarts without its data.
  const metaMaster = await cluster.masterOf(keys.meta);
  let victim: RedisServer | undefined;
  for (let shard = 0; shard < config.shards && !victim; shard++) {
    const master = await cluster.masterOf(keys.shard(shard).counters);
    if (master !== metaMaster) victim = master;
  }
  if (!victim) throw new Error("every shard lives with the meta key");
  await victim.restart();
  const lostAtMs = Date.now();
  await waitUntil(
    async () => ((await victim.cli("cluster", "info")).includes("cluster_state:ok") ? true : undefined),
    "the restarted master back in the cluster",
    15000,
  );
  await new Promise((r) => setTimeout(r, 800)); // the leader folds the short counters a few times

  // The leader goes; the standby has never published and takes over with the counters still short.
  const pid = await waitUntil(leaderPid, "a leader");
  const leader = aggregators.find((a) => a.pid === pid);
  if (!leader) throw new Error(`leader ${pid} is not one of ours`);
  await leader.signal("SIGKILL");
  const killedAtMs = Date.now();
  await waitUntil(
    async () => ((await leaderPid()) !== pid && published.some((p) => p.atMs > killedAtMs) ? true : undefined),
    "the standby publishing",
    15000,
  );
  await new Promise((r) => setTimeout(r, 1000));

  const after = published.filter((p) => p.atMs > lostAtMs).map((p) => p.snapshot);
  const byStandby = published.filter((p) => p.atMs > killedAtMs).map((p) => p.snapshot);
  console.log(
    `takeover: ${after.length} snapshots after the shard loss, ${byStandby.length} by the standby, ` +
      `${after.filter((s) => s.degraded).length} degraded; lowest total ${after.reduce((low, s) => (BigInt(s.total) < low ? BigInt(s.total) : low), expected)} of ${expected}`,
  );
  expect(byStandby.length).toBeGreaterThanOrEqual(3); // still live, at heartbeat rate
  for (const s of after) {
    expect(BigInt(s.total)).toBe(expected);
    expect(s.count).toBe(events.length);
    expect(s.degraded).toBe(true);
  }
  expect(byStandby.at(-1)?.degradedReason).toContain("below the published mark");
}, 50000);
