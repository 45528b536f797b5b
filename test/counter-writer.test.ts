import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { shardOf } from "../core/shard.js";
import { amountOfMark } from "../core/store/counters.js";
import { campaignKeys } from "../core/store/keys.js";
import { countOneEvent } from "../core/store/reference.js";
import type { WriteOutcome } from "../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { shardOutage } from "./fixtures/shard-outage.js";
import { counterWriter, readTotals } from "./support/counters.js";
import { RedisCluster, RedisServer } from "./support/redis-server.js";

const shards = 16;
let server: RedisServer;
let redis: RedisClient;

function event(id: string, amount: number, type: "payment" | "refund" = "payment", campaign = "writer"): PaymentEvent {
  return { paymentId: id, amount, currency: "KRW", occurredAt: "2020-11-27T00:00:00Z", type, campaign, channel: "app", category: "shoes" };
}

/** The net amount and number of distinct events, counting each paymentId once (its first occurrence). */
function expectedTotals(events: readonly PaymentEvent[]): { net: bigint; distinct: number } {
  const first = new Map<string, PaymentEvent>();
  for (const e of events) if (!first.has(e.paymentId)) first.set(e.paymentId, e);
  let net = 0n;
  for (const e of first.values()) net += e.type === "refund" ? -BigInt(e.amount) : BigInt(e.amount);
  return { net, distinct: first.size };
}

/** Script calls the server has run so far (EVALSHA, plus EVAL when a connection loads a script). */
async function scriptCalls(server: RedisServer): Promise<number> {
  const stats = await server.cli("info", "commandstats");
  let calls = 0;
  for (const m of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});
afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

describe("counter writer", () => {
  it("counts payments and subtracts refunds exactly", async () => {
    const writer = counterWriter(redis, { shards, dedupeTtlSeconds: 3600 });
    const outcomes = await writer.write([
      event("a1", 1000, "payment", "c1"),
      event("a2", 2500, "payment", "c1"),
      event("r1", 700, "refund", "c1"),
    ]);
    expect(outcomes).toEqual(["counted", "counted", "counted"]);
    const totals = await readTotals(redis, "c1", shards);
    expect(totals).toMatchObject({ net: 2800n, count: 2, refunded: 700n, refunds: 1 });
  });

  it("counts a retried payment once, and flags a reused id with another amount as a conflict", async () => {
    const writer = counterWriter(redis, { shards, dedupeTtlSeconds: 3600 });
    await writer.write([event("d1", 5000, "payment", "c2")]);
    const again = await writer.write([
      event("d1", 5000, "payment", "c2"),
      event("d1", 5000, "payment", "c2"),
      event("d1", 9999, "payment", "c2"),
    ]);
    expect(again).toEqual(["duplicate", "duplicate", "conflict"]);
    const totals = await readTotals(redis, "c2", shards);
    expect(totals).toMatchObject({ net: 5000n, count: 1, dups: 3 });
  });

  it("ends with exactly the sum of distinct events when concurrent clients send overlapping sets", async () => {
    const clients = Array.from({ length: 4 }, (_, i) =>
      createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: `client-${i}` }),
    );
    const distinct = Array.from({ length: 2000 }, (_, i) =>
      event(`o-${i}`, 1 + ((i * 7919) % 100000), i % 17 === 0 ? "refund" : "payment", "c3"),
    );
    let expected = 0n;
    for (const e of distinct) expected += e.type === "refund" ? -BigInt(e.amount) : BigInt(e.amount);
    // Each client sends an overlapping window of the events, twice, in batches of 100, all at once.
    await Promise.all(
      clients.map(async (client, i) => {
        const writer = counterWriter(client, { shards, dedupeTtlSeconds: 3600 });
        const mine = distinct.slice(i * 400, i * 400 + 800).concat(distinct.slice(0, 400));
        for (let round = 0; round < 2; round++) {
          for (let b = 0; b < mine.length; b += 100) await writer.write(mine.slice(b, b + 100));
        }
      }),
    );
    await Promise.all(clients.map(closeRedis));
    const totals = await readTotals(redis, "c3", shards);
    const covered = distinct.slice(0, 2000);
    expect(totals.net).toBe(expected);
    expect(totals.count + totals.refunds).toBe(covered.length);
  });

  it("coalesces concurrent one-event writes into a few script calls, and gives every caller its own outcome", async () => {
    const writer = counterWriter(redis, { shards, dedupeTtlSeconds: 3600 });
    // 1,500 ids, each sent by two callers at once; every third one the second time with another amount.
    const sent = Array.from({ length: 3000 }, (_, i) => {
      const n = i % 1500;
      return event(`one-${n}`, i >= 1500 && n % 3 === 0 ? 7 : 100 + n, n % 11 === 0 ? "refund" : "payment", "c4");
    });
    const before = await scriptCalls(server);
    const outcomes = await Promise.all(sent.map((e) => writer.write([e])));
    const calls = (await scriptCalls(server)) - before;
    expect(outcomes.every((o) => o.length === 1)).toBe(true);
    // Both copies of an id went into the same flush in sending order: the first is counted, the second is not.
    for (let n = 0; n < 1500; n++) {
      expect(outcomes[n]).toEqual(["counted"]);
      expect(outcomes[1500 + n]).toEqual([n % 3 === 0 ? "conflict" : "duplicate"]);
    }
    // 3,000 events, at most 1,024 per flush, plus one call that registers the channel and category names.
    expect(calls).toBeLessThanOrEqual(5);
    const expected = expectedTotals(sent);
    const totals = await readTotals(redis, "c4", shards);
    expect(totals.net).toBe(expected.net);
    expect(totals.count + totals.refunds).toBe(1500);
    expect(totals.dups).toBe(1500);
  });

  it("writes the same counter fields and dedupe marks as the single-event script", async () => {
    const channels = ["app", "web", undefined];
    const categories = ["shoes", undefined, "bags", "tops"];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const mixed = (campaign: string) =>
      Array.from({ length: 1200 }, (_, i): PaymentEvent => {
        const id = `m-${random(800)}`; // about a third are repeats
        const amount = 1 + (Number(id.slice(2)) % 3 === 0 && random(4) === 0 ? random(1000) : Number(id.slice(2)) * 1_000_003);
        const refund = Number(id.slice(2)) % 9 === 0;
        return {
          ...event(id, amount, refund ? "refund" : "payment", campaign),
          channel: channels[Number(id.slice(2)) % 3],
          category: categories[(Number(id.slice(2)) + i) % 4],
        };
      });
    const sequence = mixed("eq-batch");
    // Reference: one single-event script call per event, in order.
    const reference: number[] = [];
    for (const e of sequence) {
      const { paymentId, amount, type: kind, channel, category } = e;
      reference.push(await countOneEvent(redis, shards, 3600, { campaign: "eq-single", paymentId, amount, kind, channel, category }));
    }
    const writer = counterWriter(redis, { shards, dedupeTtlSeconds: 3600, maxBatchEvents: 100 });
    const outcomes = (await Promise.all([0, 300, 600, 900].map((from) => writer.write(sequence.slice(from, from + 300))))).flat();
    const codes: Record<WriteOutcome, number> = { counted: 1, duplicate: 0, conflict: -1 };
    expect(outcomes.map((o) => codes[o])).toEqual(reference);
    const nonZero = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== "0"));
    for (let i = 0; i < shards; i++) {
      const [single, batch] = await Promise.all([
        redis.hgetall(campaignKeys("eq-single", shards).shard(i).counters),
        redis.hgetall(campaignKeys("eq-batch", shards).shard(i).counters),
      ]);
      expect(nonZero(batch)).toEqual(nonZero(single));
    }
    // The same signed amount in each mark; the writer's marks also say which attempt counted the event.
    for (const e of sequence.slice(0, 50)) {
      const seen = async (c: string) =>
        (await redis.get(campaignKeys(c, shards).shard(shardOf(e.paymentId, shards)).seen(e.paymentId))) ?? "";
      const [batch, single] = await Promise.all([seen("eq-batch"), seen("eq-single")]);
      expect(amountOfMark(batch)).toBe(amountOfMark(single));
      expect(batch).toMatch(/^-?\d+:[\w-]{8}\.[0-9a-z]+\.[0-9a-z]+$/);
      expect(single).toMatch(/^-?\d+$/);
    }
  });

  it("splits a write larger than one flush across flushes and keeps outcomes in input order", async () => {
    const writer = counterWriter(redis, { shards, dedupeTtlSeconds: 3600, maxBatchEvents: 64, maxInFlight: 3 });
    const sent = Array.from({ length: 1000 }, (_, i) => event(`split-${i % 700}`, 1000 + (i % 700), "payment", "c5"));
    const outcomes = await writer.write(sent);
    expect(outcomes).toEqual(sent.map((_, i) => (i < 700 ? "counted" : "duplicate")));
    const totals = await readTotals(redis, "c5", shards);
    expect(totals.net).toBe(expectedTotals(sent).net);
    expect(totals.count).toBe(700);
  });

  it("resolves an empty write at once and refuses bad options", async () => {
    expect(await counterWriter(redis, { shards, dedupeTtlSeconds: 3600 }).write([])).toEqual([]);
    expect(() => counterWriter(redis, { shards, dedupeTtlSeconds: 3600, maxBatchEvents: 4097 })).toThrow(RangeError);
    expect(() => counterWriter(redis, { shards, dedupeTtlSeconds: 3600, maxBatchEvents: 0 })).toThrow(RangeError);
    expect(() => counterWriter(redis, { shards, dedupeTtlSeconds: 3600, maxInFlight: 0 })).toThrow(RangeError);
    expect(() => counterWriter(redis, { shards: 0, dedupeTtlSeconds: 3600 })).toThrow(RangeError);
  });

  it("fails only the caller whose events hit the failed node, not the callers coalesced with it", async () => {
    const outage = await shardOutage(
      createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "outage", failFast: true }),
    );
    try {
      const writer = counterWriter(outage.redis, { shards, dedupeTtlSeconds: 3600 });
      const [a, x, b, c] = [
        event("iso-a", 1, "payment", "c6"),
        event("iso-x", 20, "payment", "c6"),
        event("iso-b", 300, "payment", "c6"),
        event("iso-c", 4000, "payment", "c6"),
      ];
      outage.downIds.add("iso-x");
      const results = await Promise.allSettled([writer.write([a]), writer.write([b, x]), writer.write([c])]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((await readTotals(redis, "c6", shards)).net).toBe(4001n);
      // b went in the same call as x, so it was not counted either; the caller's retry counts both, once.
      outage.downIds.clear();
      expect(await writer.write([b, x])).toEqual(["counted", "counted"]);
      expect((await readTotals(redis, "c6", shards)).net).toBe(4321n);
    } finally {
      await closeRedis(outage.redis);
      await outage.close();
    }
  });

  it("rejects every waiter of a flush when Redis is down, and counts exactly once when they retry", async () => {
    const own = await RedisServer.start();
    const client = createRedis({ redisUrl: own.url, redisClusterNodes: undefined }, { name: "down", failFast: true });
    client.on("error", () => undefined);
    try {
      const writer = counterWriter(client, { shards, dedupeTtlSeconds: 3600 });
      const batches = Array.from({ length: 20 }, (_, b) =>
        Array.from({ length: 10 }, (_, i) => event(`down-${b}-${i}`, 10 + b, "payment", "c7")),
      );
      expect(await writer.write(batches[0]!)).toEqual(Array(10).fill("counted"));
      await own.kill();
      const down = await Promise.allSettled(batches.map((batch) => writer.write(batch)));
      expect(down.every((r) => r.status === "rejected")).toBe(true);
      await own.restart();
      let retried: WriteOutcome[][] | undefined;
      for (let attempt = 0; attempt < 50 && retried === undefined; attempt++) {
        retried = await Promise.all(batches.map((batch) => writer.write(batch))).catch(async () => {
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        });
      }
      // The server restarted without persistence: everything is counted now, once, whatever the retries.
      expect(retried?.flat().filter((o) => o === "counted")).toHaveLength(200);
      expect((await readTotals(client, "c7", shards)).net).toBe(expectedTotals(batches.flat()).net);
    } finally {
      await closeRedis(client);
      await own.stop();
    }
  });
});

describe("counter writer on a 3-master cluster", () => {
  let cluster: RedisCluster;
  let client: RedisClient;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    client = createRedis({ redisUrl: undefined, redisClusterNodes: cluster.nodeList }, { name: "cluster-test" });
  }, 30_000);
  afterAll(async () => {
    await closeRedis(client);
    await cluster.stop();
  });

  it("counts exactly with one call per shard, under duplicates and concurrent writers", async () => {
    const clusterShards = 64;
    const distinct = Array.from({ length: 3000 }, (_, i) =>
      event(`cl-${i}`, 1 + ((i * 7919) % 100000), i % 13 === 0 ? "refund" : "payment", "cl"),
    );
    const writers = Array.from({ length: 3 }, () => counterWriter(client, { shards: clusterShards, dedupeTtlSeconds: 3600 }));
    const outcomes = await Promise.all(
      writers.flatMap((writer, w) =>
        Array.from({ length: 20 }, (_, b) => {
          const from = (w * 1000 + b * 150) % 3000; // overlapping windows across writers
          return writer.write(distinct.slice(from, from + 150).concat(distinct.slice(from, from + 10)));
        }),
      ),
    );
    expect(outcomes.flat().filter((o) => o === "counted").length).toBe(3000);
    expect(outcomes.flat().includes("conflict")).toBe(false);
    const totals = await readTotals(client, "cl", clusterShards);
    expect(totals.net).toBe(expectedTotals(distinct).net);
    expect(totals.count + totals.refunds).toBe(3000);
  });
});
