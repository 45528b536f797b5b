// The batch counting script (core/store/lua/count-payments-n.lua) called directly: exact sums, in-batch duplicates,
// checks that write nothing, and dedupe marks shared with the single-event script.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { runScript } from "../core/store/commands.js";
import { encodeCountCall } from "../core/store/counters.js";
import { campaignKeys } from "../core/store/keys.js";
import { countOneEvent } from "../core/store/reference.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;

interface Item {
  readonly id: string;
  readonly amount: string; // signed: "-700" is a refund
  readonly channel?: string;
  readonly category?: string;
}

/** One call with one group per shard given, in the order given. */
function call(campaign: string, groups: Array<[shard: number, items: Item[]]>, ttl = 3600) {
  const keys = campaignKeys(campaign, 16);
  const encoded = encodeCountCall(
    groups.map(([shard, items]) => ({
      counters: keys.shard(shard).counters,
      seen: items.map((i) => keys.shard(shard).seen(i.id)),
      values: items.flatMap((i) => [i.amount, i.channel ?? "", i.category ?? ""]),
    })),
    ttl,
  );
  return raw(encoded.keys, encoded.args);
}

/** The script with hand-made KEYS and ARGV (to check that it refuses malformed ones). */
const raw = (keys: string[], args: string[]) => runScript<number[]>(redis, "countPayments", keys, args);

/** The single-event reference script (reference/count-payment-2.lua), on shard 2 of campaign s4. */
const one = (paymentId: string, amount: string, kind: "payment" | "refund") =>
  countOneEvent(redis, 16, 3600, { campaign: "s4", paymentId, amount, kind, shard: 2 });

const hash = (campaign: string, shard: number) => redis.hgetall(campaignKeys(campaign, 16).shard(shard).counters);

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});
afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

describe("count-payments script", () => {
  it("returns one outcome per event and sums each field once per group, like the single-event script", async () => {
    const result = await call("s1", [
      [
        3,
        [
          { id: "a", amount: "1000", channel: "app", category: "shoes" },
          { id: "a", amount: "1000", channel: "app", category: "shoes" }, // duplicate inside the batch
          { id: "a", amount: "2000", channel: "app" }, // same id, other amount: conflict
          { id: "r", amount: "-300", channel: "app", category: "shoes" }, // refund
          { id: "r", amount: "300" }, // same id as a payment: conflict
          { id: "b", amount: "5", category: "bags" },
        ],
      ],
      [7, [{ id: "c", amount: "70", channel: "web" }]],
    ]);
    expect(result).toEqual([1, 0, -1, 1, -1, 1, 1]);
    expect(await hash("s1", 3)).toEqual({
      net: "705",
      gross: "1005",
      count: "2",
      refunded: "300",
      refunds: "1",
      dups: "3",
      "ch:app:a": "700",
      "ch:app:n": "1",
      "cat:shoes:a": "700",
      "cat:shoes:n": "1",
      "cat:bags:a": "5",
      "cat:bags:n": "1",
    });
    expect(await hash("s1", 7)).toEqual({ net: "70", gross: "70", count: "1", "ch:web:a": "70", "ch:web:n": "1" });
    expect(await redis.get(campaignKeys("s1", 16).shard(3).seen("r"))).toBe("-300");
    expect(await redis.ttl(campaignKeys("s1", 16).shard(3).seen("a"))).toBeGreaterThan(3500);
  });

  it("keeps sums exact at the limits: 4096 amounts of 10^12 - 1 in one group, and totals past 2^53", async () => {
    const big = "999999999999";
    for (let round = 0; round < 3; round++) {
      const items = Array.from({ length: 4096 }, (_, i) => ({ id: `big-${round}-${i}`, amount: big, channel: "app" }));
      expect((await call("s2", [[0, items]])).every((r) => r === 1)).toBe(true);
    }
    const h = await hash("s2", 0);
    const expected = 3n * 4096n * 999999999999n; // 12,287,999,999,987,712 > 2^53
    expect(BigInt(h.net!)).toBe(expected);
    expect(BigInt(h.gross!)).toBe(expected);
    expect(BigInt(h["ch:app:a"]!)).toBe(expected);
    expect(h.count).toBe(String(3 * 4096));
  });

  it("refuses bad arguments before writing anything", async () => {
    const good = { id: "g", amount: "100" };
    const bad: Array<[string, Promise<unknown>]> = [
      ["amount over 10^12", call("s3", [[1, [good, { id: "x", amount: "1000000000001" }]]])],
      ["zero amount", call("s3", [[1, [good, { id: "x", amount: "0" }]]])],
      ["fractional amount", call("s3", [[1, [good, { id: "x", amount: "1.5" }]]])],
      ["not a number", call("s3", [[1, [good, { id: "x", amount: "ten" }]]])],
      ["more than 4096 events", call("s3", [[1, Array.from({ length: 4097 }, (_, i) => ({ id: `m${i}`, amount: "1" }))]])],
      [
        "sizes that do not add up",
        raw(
          [campaignKeys("s3", 16).shard(1).counters, campaignKeys("s3", 16).shard(1).seen("g"), campaignKeys("s3", 16).shard(1).seen("h")],
          ["3600", "1", "", "1", "100", "", "", "100", "", ""],
        ),
      ],
      [
        "missing values",
        raw([campaignKeys("s3", 16).shard(1).counters, campaignKeys("s3", 16).shard(1).seen("g")], ["3600", "1", "", "1", "100"]),
      ],
    ];
    for (const [name, promise] of bad) await expect(promise, name).rejects.toThrow(/count-payments/);
    expect(await hash("s3", 1)).toEqual({});
    expect(await redis.exists(campaignKeys("s3", 16).shard(1).seen("g"))).toBe(0);
  });

  it("shares dedupe marks with the single-event script in both directions", async () => {
    expect(await one("p", "500", "payment")).toBe(1);
    expect(await one("q", "40", "refund")).toBe(1);
    expect(
      await call("s4", [
        [
          2,
          [
            { id: "p", amount: "500" },
            { id: "q", amount: "-40" },
            { id: "q", amount: "40" },
            { id: "n", amount: "9" },
          ],
        ],
      ]),
    ).toEqual([0, 0, -1, 1]);
    expect(await one("n", "9", "payment")).toBe(0);
    expect(await hash("s4", 2)).toMatchObject({ net: "469", count: "2", refunds: "1", dups: "4" });
  });
});
