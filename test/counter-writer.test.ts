import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { CounterWriter } from "../ingest/counter-writer.js";
import type { PaymentEvent } from "../ingest/payment-event.js";
import { readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const shards = 16;
let server: RedisServer;
let redis: RedisClient;

function event(id: string, amount: number, type: "payment" | "refund" = "payment", campaign = "writer"): PaymentEvent {
  return { paymentId: id, amount, currency: "KRW", occurredAt: "2020-11-27T00:00:00Z", type, campaign, channel: "app", category: "shoes" };
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
    const writer = new CounterWriter(redis, { shards, dedupeTtlSeconds: 3600 });
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
    const writer = new CounterWriter(redis, { shards, dedupeTtlSeconds: 3600 });
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
        const writer = new CounterWriter(client, { shards, dedupeTtlSeconds: 3600 });
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
});
