// The aggregator against a real redis-server: exact sums, change and heartbeat publishes, seq across restarts, leader election.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { newEpochId, openStore } from "../core/store/index.js";
import { type CampaignKeys, campaignKeys } from "../core/store/keys.js";
import { countOneEvent } from "../core/store/reference.js";
import { testConfig } from "./support/config.js";
import { RedisServer } from "./support/redis-server.js";

const logger = createLogger("test", "silent");
let server: RedisServer;
let redis: RedisClient;
const running: Aggregator[] = [];
let campaignCounter = 0;

function setup(env: Record<string, string> = {}): { config: Config; keys: CampaignKeys } {
  const config = testConfig({
    REDIS_URL: server.url,
    CAMPAIGN: `agg${++campaignCounter}`,
    SHARDS: "8",
    FOLD_INTERVAL_MS: "20",
    HEARTBEAT_MS: "60000",
    ...env,
  });
  return { config, keys: campaignKeys(config.campaign, config.shards) };
}

async function start(config: Config): Promise<Aggregator> {
  const aggregator = await startAggregator({ config, logger });
  running.push(aggregator);
  return aggregator;
}

async function latest(keys: CampaignKeys): Promise<Snapshot | undefined> {
  const json = await redis.get(keys.latest);
  return json === null ? undefined : parseSnapshot(json);
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

describe("aggregator fold", () => {
  it("sums shard counters past 2^53 exactly", async () => {
    const { config, keys } = setup({ SHARDS: "4" });
    const big = 2n ** 53n + 1n;
    await redis.hincrby(keys.shard(0).counters, "net", big.toString());
    await redis.hincrby(keys.shard(1).counters, "net", big.toString());
    await redis.hincrby(keys.shard(2).counters, "net", (2n ** 62n).toString());
    await redis.hincrby(keys.shard(3).counters, "count", 3);
    await start(config);
    const snapshot = await waitFor(() => latest(keys), "first snapshot");
    expect(snapshot.total).toBe((2n * big + 2n ** 62n).toString());
    expect(snapshot.count).toBe(3);
    expect(snapshot.currency).toBe("KRW");
  });

  it("reads every one of 64 shards and totals them", async () => {
    const { config, keys } = setup({ SHARDS: "64" });
    for (let i = 0; i < 64; i++) {
      await redis.hincrby(keys.shard(i).counters, "net", i + 1);
      await redis.hincrby(keys.shard(i).counters, "count", 1);
      await redis.hincrby(keys.shard(i).counters, `ch:${i % 2 ? "app" : "web"}:a`, i + 1);
    }
    await redis.sadd(keys.channelNames, "app", "web"); // the names the writer registered (a fold reads only those)
    await start(config);
    const snapshot = await waitFor(() => latest(keys), "first snapshot");
    expect(snapshot.total).toBe(String((64 * 65) / 2));
    expect(snapshot.count).toBe(64);
    expect(snapshot.channels).toEqual({ app: { total: "1056", count: 0 }, web: { total: "1024", count: 0 } });
  });

  it("counts payments, refunds, duplicates and rejections written by the count script", async () => {
    const { config, keys } = setup();
    const count = (id: string, amount: number, kind: string, channel: string, category: string) => {
      const event = { campaign: config.campaign, paymentId: id, amount, kind: kind as "payment" | "refund", channel, category };
      return countOneEvent(redis, config.shards, 3600, { ...event, shard: id.length % config.shards });
    };
    expect(await count("p-1", 1000, "payment", "web", "shoes")).toBe(1);
    expect(await count("p-22", 2500, "payment", "app", "bags")).toBe(1);
    expect(await count("p-1", 1000, "payment", "web", "shoes")).toBe(0);
    expect(await count("r-333", 400, "refund", "web", "shoes")).toBe(1);
    await redis.hincrby(keys.stats, "rejected", 3);
    await start(config);
    const snapshot = await waitFor(() => latest(keys), "first snapshot");
    expect(snapshot).toMatchObject({ total: "3100", count: 2, refunded: "400", refunds: 1, duplicates: 1, rejected: 3 });
    expect(snapshot.channels).toEqual({ app: { total: "2500", count: 1 }, web: { total: "600", count: 1 } });
    expect(snapshot.categories).toEqual({ bags: { total: "2500", count: 1 }, shoes: { total: "600", count: 1 } });
    expect(snapshot.perMinute).toEqual({ count: 0, total: "0" });
  });
});

describe("aggregator publishing", () => {
  it("publishes when the counters change and stays quiet otherwise", async () => {
    const { config, keys } = setup();
    const aggregator = await start(config);
    const first = await waitFor(() => latest(keys), "first snapshot");
    await sleep(300);
    expect((await latest(keys))?.seq).toBe(first.seq);
    // One MULTI, as the count script is atomic: a fold between two separate HINCRBYs would see half a payment.
    await redis.multi().hincrby(keys.shard(3).counters, "net", 500).hincrby(keys.shard(3).counters, "count", 1).exec();
    const next = await waitFor(
      async () => {
        const s = await latest(keys);
        return s && s.seq > first.seq ? s : undefined;
      },
      "a snapshot after the change",
      1000,
    );
    expect(next).toMatchObject({ total: "500", count: 1, epoch: first.epoch });
    expect(next.perMinute).toEqual({ count: 1, total: "500" });
    expect(aggregator.stats().publishes).toBe(2);
  });

  it("publishes a heartbeat when nothing changes", async () => {
    const { config, keys } = setup({ HEARTBEAT_MS: "100" });
    const sub = createSubscriber(config, "test-sub");
    const seen: Snapshot[] = [];
    sub.on("message", (_channel: string, message: string) => seen.push(parseSnapshot(message)));
    await sub.subscribe(keys.snapshots);
    try {
      await start(config);
      await sleep(750);
      expect(seen.length).toBeGreaterThanOrEqual(4);
      expect(new Set(seen.map((s) => s.total))).toEqual(new Set(["0"]));
      // Strictly increasing, and at least the publish time in ms: a Redis that rolls back cannot hand one out again.
      const seqs = seen.map((s) => s.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? 0);
      for (const s of seen) expect(s.seq).toBeGreaterThanOrEqual(Date.parse(s.at));
    } finally {
      await closeRedis(sub);
    }
  });

  it("keeps seq increasing across a stop and a restart", async () => {
    const { config, keys } = setup();
    const first = await start(config);
    const before = await waitFor(() => latest(keys), "first snapshot");
    await first.stop();
    await start(config);
    const after = await waitFor(async () => {
      const s = await latest(keys);
      return s && s.seq > before.seq ? s : undefined;
    }, "a snapshot from the restarted aggregator");
    expect(after.epoch).toBe(before.epoch);
    expect(after.seq).toBeGreaterThan(before.seq);
  });

  it("lets only the leader publish, and a standby takes over when the leader stops", async () => {
    const { config } = setup({ HEARTBEAT_MS: "100" });
    const a = await start(config);
    const b = await start(config);
    await sleep(400);
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    expect(leader.isLeader()).toBe(true);
    expect(standby.isLeader()).toBe(false);
    expect(leader.stats().publishes).toBeGreaterThanOrEqual(3);
    expect(standby.stats().publishes).toBe(0);

    await leader.stop();
    const stoppedAtMs = Date.now();
    await waitFor(() => standby.isLeader(), "the standby to take over", 1000);
    // Released lease: taken over within a few fold ticks, not after the 2 s lease lapses.
    expect(Date.now() - stoppedAtMs).toBeLessThan(1000);
    await waitFor(() => standby.stats().publishes > 0 || undefined, "a publish by the new leader");
    expect(standby.stats().lastSeq).toBeGreaterThan(leader.stats().lastSeq ?? 0);
  });

  it("gives Redis back an epoch it lost from the snapshot it holds, and adopts a later epoch a rebuild writes", async () => {
    const { config, keys } = setup();
    await start(config);
    const first = await waitFor(() => latest(keys), "first snapshot");
    // The meta hash is gone (what a restart without persistence leaves), the counters grew meanwhile.
    await redis.del(keys.meta);
    await redis.hincrby(keys.shard(0).counters, "net", 7);
    const restored = await waitFor(async () => {
      const s = await latest(keys);
      return s && s.seq > first.seq ? s : undefined;
    }, "a publish after the loss");
    expect(restored).toMatchObject({ epoch: first.epoch, total: "7" });
    expect(await redis.hget(keys.meta, "epoch")).toBe(first.epoch);
    // A rebuild makes a later epoch current (reconcile --rebuild); the leader adopts it and seq carries on.
    const rebuilt = newEpochId(new Date(), first.epoch);
    await openStore(redis, config).snapshots.finishRebuild(config.campaign, rebuilt);
    await redis.hincrby(keys.shard(0).counters, "net", 1); // the replay's counters
    const next = await waitFor(async () => {
      const s = await latest(keys);
      return s && s.epoch === rebuilt ? s : undefined;
    }, "a publish under the rebuilt epoch");
    expect(next.seq).toBeGreaterThan(restored.seq);
    expect(next.total).toBe("8");
  });

  it("republishes the last good snapshot, marked degraded, while the counters are below it, and heals by itself", async () => {
    const { config, keys } = setup({ HEARTBEAT_MS: "100" });
    const sub = createSubscriber(config, "test-sub");
    const seen: Snapshot[] = [];
    sub.on("message", (_channel: string, message: string) => seen.push(parseSnapshot(message)));
    await sub.subscribe(keys.snapshots);
    const add = (net: number, count: number) =>
      redis.multi().hincrby(keys.shard(2).counters, "net", net).hincrby(keys.shard(2).counters, "count", count).exec();
    try {
      const aggregator = await start(config);
      await add(900, 3);
      await waitFor(() => seen.find((s) => s.total === "900"), "the total 900");
      // A failover rolled two payments back (nobody had their acknowledgement): the counters fall below the mark.
      await add(-600, -2);
      const degraded = await waitFor(() => seen.find((s) => s.degraded), "a degraded snapshot");
      expect(degraded).toMatchObject({ total: "900", count: 3, degraded: true });
      expect(degraded.degradedReason).toContain("below the published mark");
      await sleep(350);
      expect(aggregator.stats().degraded).toBe(true);
      const during = seen.filter((s) => s.degraded);
      expect(during.length).toBeGreaterThanOrEqual(3); // heartbeats go on: viewers stay live, frozen at 900
      // The senders retry: the counters reach the mark again and live figures follow without a rebuild.
      await add(700, 2);
      const healed = await waitFor(() => seen.find((s) => s.total === "1000"), "the healed total");
      expect(healed.degraded).toBeUndefined();
      expect(healed.epoch).toBe(degraded.epoch);
      expect(seen.every((s) => BigInt(s.total) >= 900n || s.seq < degraded.seq)).toBe(true);
      const seqs = seen.map((s) => s.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? 0);
      expect(aggregator.stats().degraded).toBe(false);
    } finally {
      await closeRedis(sub);
    }
  });

  it("does not start a campaign by itself in production (CAMPAIGN_AUTOSTART=0); publishes once it is started", async () => {
    const { config, keys } = setup({ CAMPAIGN_AUTOSTART: "0" });
    await redis.hincrby(keys.shard(1).counters, "net", 42);
    const aggregator = await start(config);
    await sleep(200);
    expect(await latest(keys)).toBeUndefined();
    expect(aggregator.stats().epoch).toBeUndefined();
    const started = await openStore(redis, config).snapshots.startCampaign(config.campaign);
    expect(started.started).toBe(true);
    const first = await waitFor(() => latest(keys), "a first snapshot");
    expect(first).toMatchObject({ epoch: started.epoch, total: "42" });
  });
});
