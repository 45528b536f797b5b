// Bounded dimensions: a fold stays cheap over 500k names already in Redis, publishing goes on while 500k payments
// with as many distinct names arrive through ingest, names past MAX_CHANNELS count once in "(other)", and the lease is renewed on its own timer whatever the fold interval. Real redis-server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { openStore } from "../core/store/index.js";
import { campaignKeys } from "../core/store/keys.js";
import { CounterWriter } from "../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { testConfig } from "./support/config.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;
const aggregators: Aggregator[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});
afterAll(async () => {
  await Promise.all(aggregators.map((a) => a.stop()));
  await closeRedis(redis);
  await server.stop();
});

function payment(campaign: string, id: string, amount: number, channel: string, category?: string): PaymentEvent {
  return { paymentId: id, amount, currency: "KRW", occurredAt: "2020-11-27T00:00:00Z", type: "payment", campaign, channel, category };
}

/** Writes `names` channel names straight into the shard hashes, as an older version (no registry, no cap) did. */
async function writeLegacyNames(campaign: string, shards: number, names: number): Promise<void> {
  // One Lua loop per slice keeps it to seconds; 20k names per call keeps each call short.
  const fill = `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
    redis.call("HSET", KEYS[1], "ch:legacy-" .. i .. ":a", "1", "ch:legacy-" .. i .. ":n", "1")
  end
  return 1`;
  const keys = campaignKeys(campaign, shards);
  for (let from = 0; from < names; from += 20_000) {
    const to = Math.min(from + 20_000, names) - 1;
    await redis.eval(fill, 1, keys.shard((from / 20_000) % shards).counters, from, to);
  }
}

describe("bounded dimensions", () => {
  it("keeps folding and publishing over 500k distinct channel names already in Redis, and the lease never lapses", async () => {
    const config = testConfig({
      REDIS_URL: server.url,
      CAMPAIGN: "wide",
      SHARDS: "8",
      FOLD_INTERVAL_MS: "50",
      HEARTBEAT_MS: "200",
      LEASE_MS: "1000",
    });
    await writeLegacyNames(config.campaign, config.shards, 500_000);
    const keys = campaignKeys(config.campaign, config.shards);
    expect(await redis.hlen(keys.shard(0).counters)).toBeGreaterThan(100_000);
    // Today's events: two named channels through the writer (they register their names).
    const writer = new CounterWriter(openStore(redis, config).counters);
    await writer.write([payment(config.campaign, "w-1", 7000, "web"), payment(config.campaign, "w-2", 3000, "app")]);

    const aggregator = await startAggregator({ config });
    aggregators.push(aggregator);
    const first = await waitUntil(async () => {
      const json = await redis.get(keys.latest);
      return json === null ? undefined : parseSnapshot(json);
    }, "a first snapshot");
    const holder = await redis.get(keys.leader);
    const lapses: number[] = [];
    const startedMs = Date.now();
    while (Date.now() - startedMs < 3000) {
      if ((await redis.get(keys.leader)) !== holder) lapses.push(Date.now() - startedMs);
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = parseSnapshot((await redis.get(keys.latest)) ?? "") as Snapshot;
    expect(lapses).toEqual([]);
    expect(holder).toBe(aggregator.token);
    // Heartbeats every 200 ms for 3 s: the leader kept publishing.
    expect(last.seq - first.seq).toBeGreaterThanOrEqual(10);
    expect(last.total).toBe("10000");
    expect(last.channels).toEqual({ web: { total: "7000", count: 1 }, app: { total: "3000", count: 1 } });
    expect(aggregator.stats().lastFoldMs).toBeLessThan(50);
    expect(Buffer.byteLength(JSON.stringify(last))).toBeLessThan(2000);
  }, 60_000);

  it("keeps publishing while 500k payments with 500k distinct channel names arrive through ingest, and counts them exactly", async () => {
    const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "flood", SHARDS: "8", FOLD_INTERVAL_MS: "50", HEARTBEAT_MS: "200" });
    const keys = campaignKeys(config.campaign, config.shards);
    const aggregator = await startAggregator({ config });
    aggregators.push(aggregator);
    await waitUntil(async () => ((await redis.get(keys.latest)) === null ? undefined : true), "a first snapshot");
    // Ingest on its own connection, as an ingest process: 100 requests of 5,000 payments in flight 10 at a time.
    const client = createRedis(config, { name: "ingest" });
    const writer = new CounterWriter(openStore(client, config).counters);
    const n = 500_000;
    const seqs: Array<{ atMs: number; seq: number }> = [];
    let writing = true;
    const watcher = (async () => {
      while (writing) {
        const json = await redis.get(keys.latest);
        if (json) seqs.push({ atMs: Date.now(), seq: parseSnapshot(json).seq });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const startedMs = Date.now();
    let counted = 0;
    for (let from = 0; from < n; from += 50_000) {
      const requests = Array.from({ length: 10 }, (_, r) =>
        Array.from({ length: 5_000 }, (_, i) => {
          const k = from + r * 5_000 + i;
          return payment(config.campaign, `f-${k}`, 1_000, `shop-${k}`);
        }),
      );
      for (const outcomes of await Promise.all(requests.map((events) => writer.write(events))))
        counted += outcomes.filter((o) => o === "counted").length;
    }
    const writeMs = Date.now() - startedMs;
    writing = false;
    await watcher;
    await closeRedis(client);
    expect(counted).toBe(n);
    // Publishing never stopped for as long as the lease (2 s): the latest snapshot's seq moved in every 2 s of the flood
    // (sampled every 100 ms or slower; the writer shares this process's event loop with the aggregator).
    for (let i = 0; i < seqs.length; i++) {
      const later = seqs.find((x) => x.atMs >= seqs[i]!.atMs + 2000);
      if (later) expect(later.seq, `stuck from ${seqs[i]!.atMs - startedMs} ms`).toBeGreaterThan(seqs[i]!.seq);
    }
    const last = await waitUntil(async () => {
      const s = parseSnapshot((await redis.get(keys.latest)) ?? "");
      return s.count === n ? s : undefined;
    }, "the exact count");
    expect(last.total).toBe(String(n * 1_000));
    // The first MAX_CHANNELS names have places; the other 499,900 are counted once in (other).
    const totals = await openStore(redis, config).totals.read(config.campaign);
    expect(totals.channels.size).toBe(config.maxChannels + 1);
    expect(totals.channels.get("(other)")).toEqual({
      amount: BigInt((n - config.maxChannels) * 1_000),
      count: BigInt(n - config.maxChannels),
    });
    expect(await redis.scard(keys.channelNames)).toBe(config.maxChannels);
    // Viewers get a bounded snapshot whatever arrives: its breakdown still adds up to every payment.
    const shown = Object.values(last.channels ?? {});
    expect(shown.reduce((sum, c) => sum + c.count, 0)).toBe(n);
    expect(Buffer.byteLength(JSON.stringify(last))).toBeLessThan(4000);
    expect(aggregator.stats().lastFoldMs).toBeLessThan(250); // an eighth of the lease, with ingest hammering Redis
    console.log(`flood: ${n} payments with ${n} distinct channel names written in ${writeMs} ms; ${seqs.length} snapshots sampled`);
  }, 120_000);

  it("counts names past MAX_CHANNELS in (other) exactly once, with duplicates still deduplicated, across racing writers", async () => {
    const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "capped", SHARDS: "4", MAX_CHANNELS: "3", MAX_CATEGORIES: "2" });
    const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const events = Array.from({ length: 400 }, (_, i) =>
      payment(config.campaign, `cap-${i}`, 100 + i, names[i % names.length]!, `k${i % 5}`),
    );
    const expected = events.reduce((sum, e) => sum + e.amount, 0);
    // Two writers on their own connections (two ingest processes) race for the three places, each sending everything twice.
    const clients = [createRedis(config, { name: "w1" }), createRedis(config, { name: "w2" })];
    const writers = clients.map((client) => new CounterWriter(openStore(client, config).counters, { maxBatchEvents: 37 }));
    const outcomes = (await Promise.all(writers.flatMap((w) => [w.write(events), w.write(events.slice().reverse())]))).flat();
    await Promise.all(clients.map(closeRedis));
    expect(outcomes.filter((o) => o === "counted")).toHaveLength(events.length);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(3 * events.length);

    const keys = campaignKeys(config.campaign, config.shards);
    const registered = (await redis.smembers(keys.channelNames)).sort();
    expect(registered).toHaveLength(3);
    expect(await redis.scard(keys.categoryNames)).toBe(2);
    const totals = await openStore(redis, config).totals.read(config.campaign);
    expect(totals.net).toBe(BigInt(expected));
    expect(totals.count).toBe(400n);
    expect(totals.dups).toBe(3n * 400n);
    // Every event is in exactly one bucket: its own name if registered, else (other).
    let inBuckets = 0n;
    let counted = 0n;
    for (const [name, sum] of totals.channels) {
      expect([...registered, "(other)"]).toContain(name);
      inBuckets += sum.amount;
      counted += sum.count;
    }
    expect(inBuckets).toBe(BigInt(expected));
    expect(counted).toBe(400n);
    for (const name of registered) {
      const own = events.filter((e) => e.channel === name).reduce((s, e) => s + e.amount, 0);
      expect(totals.channels.get(name)?.amount).toBe(BigInt(own));
    }
    // A name that did not get a place never got a field of its own in any shard.
    const fields = (await Promise.all(keys.shardCounters.map((k) => redis.hkeys(k)))).flat();
    const unregistered = names.filter((n) => !registered.includes(n));
    for (const n of unregistered) expect(fields).not.toContain(`ch:${n}:a`);
    expect([...totals.categories.keys()].sort()).toHaveLength(3); // two names and (other)
  });

  it("holds the lease between folds longer than the lease itself", async () => {
    const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "slowfold", SHARDS: "2", FOLD_INTERVAL_MS: "3000", LEASE_MS: "600" });
    const aggregator = await startAggregator({ config });
    aggregators.push(aggregator);
    const leader = campaignKeys(config.campaign, config.shards).leader;
    const holders = new Set<string | null>();
    const startedMs = Date.now();
    while (Date.now() - startedMs < 4000) {
      holders.add(await redis.get(leader));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...holders]).toEqual([aggregator.token]);
    expect(aggregator.isLeader()).toBe(true);
  }, 20_000);
});
