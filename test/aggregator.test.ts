// The aggregator against a real redis-server: exact sums, change and heartbeat publishes, seq across restarts, leader election.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
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
    expect(next).toMatchObject({ seq: first.seq + 1, total: "500", count: 1, epoch: first.epoch });
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
      const seqs = seen.map((s) => s.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
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
    expect(after.seq).toBe(before.seq + 1);
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

  it("holds publishing while the epoch is gone and publishes under the epoch a rebuild writes", async () => {
    const { config, keys } = setup();
    await start(config);
    const first = await waitFor(() => latest(keys), "first snapshot");
    // Counter state lost: the epoch is gone from Redis (what a restart without persistence leaves).
    await redis.hdel(keys.meta, "epoch");
    await redis.hincrby(keys.shard(0).counters, "net", 7);
    await sleep(300);
    expect((await latest(keys))?.seq).toBe(first.seq);
    // A rebuild writes a new epoch; the leader adopts it and seq carries on.
    await redis.hset(keys.meta, "epoch", "rebuilt-1", "rebuiltEpoch", "rebuilt-1"); // as reconcile --rebuild writes it
    const next = await waitFor(async () => {
      const s = await latest(keys);
      return s && s.seq > first.seq ? s : undefined;
    }, "a publish under the rebuilt epoch");
    expect(next).toMatchObject({ epoch: "rebuilt-1", seq: first.seq + 1, total: "7" });
  });
});
