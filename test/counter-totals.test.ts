// The fold's read: shard hashes summed inside Redis (one call per node), exact, and falling back to a shard by
// shard BigInt sum when a double could not hold the numbers. Real redis-server, single node and 3-master cluster.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeRedis, createRedis, type RedisClient, waitForReady } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { TotalsStore } from "../core/store/totals.js";
import { RedisCluster, RedisServer } from "./support/redis-server.js";

const shards = 48;

/** Random counters in every shard, and the totals BigInt arithmetic expects for them. */
async function fill(redis: RedisClient, campaign: string, amountOf: (shard: number) => bigint) {
  const keys = campaignKeys(campaign, shards);
  let net = 0n;
  let count = 0n;
  let web = 0n;
  await Promise.all(
    keys.shardCounters.map((key, i) => {
      const amount = amountOf(i);
      net += amount;
      count += BigInt(i + 1);
      if (i % 3 === 0) web += amount;
      const hash: Record<string, string> = { net: amount.toString(), count: String(i + 1), dups: "1" };
      if (i % 3 === 0) Object.assign(hash, { "ch:web:a": amount.toString(), "ch:web:n": "1" });
      return redis.hset(key, hash);
    }),
  );
  await redis.hset(keys.stats, "rejected", "5");
  await redis.sadd(keys.channelNames, "web"); // a fold reads the dimensions of registered names only
  return { keys, net, count, web };
}

/** Runs op and returns the names of the commands the client sent for it (scripts inside Redis not included). */
async function commandsSent(redis: RedisClient, op: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  const spy = vi.spyOn(redis, "sendCommand").mockImplementation((...args: Parameters<RedisClient["sendCommand"]>) => {
    sent.push(args[0].name);
    return send(...args) as ReturnType<RedisClient["sendCommand"]>;
  });
  try {
    await op();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

function describeTopology(name: string, start: () => Promise<{ nodes: RedisServer[]; redis: RedisClient; stop(): Promise<void> }>) {
  describe(name, () => {
    let nodes: RedisServer[];
    let redis: RedisClient;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      ({ nodes, redis, stop } = await start());
      await waitForReady(redis);
    });
    afterAll(async () => {
      await closeRedis(redis);
      await stop();
    });

    it("sums every shard in Redis, one script call per node and no per-shard reads", async () => {
      const { keys, net, count, web } = await fill(redis, `${name}-sum`, (i) => 1_000_000_000_000n + BigInt(i) * 7_919n);
      const store = new TotalsStore(redis, keys.shardCounters.length);
      let totals = await store.read(keys.campaign); // loads the script (and, on a cluster, the slot map)
      const sent = await commandsSent(redis, async () => {
        totals = await store.read(keys.campaign);
      });
      expect(totals.net).toBe(net);
      expect(totals.count).toBe(count);
      expect(totals.dups).toBe(BigInt(shards));
      expect(totals.rejected).toBe(5n);
      expect(totals.channels.get("web")).toEqual({ amount: web, count: BigInt(shards / 3) });
      // One sum per node holding shards, plus the rejected stat and the two name registries: never one per shard.
      expect(sent.sort()).toEqual([...Array(nodes.length).fill("evalsha"), "hget", "smembers", "smembers"]);
    });

    it("falls back to an exact BigInt sum when the total passes 2^53", async () => {
      const big = 2n ** 53n / 16n + 3n; // 48 of these pass 2^53 together
      const { keys, net } = await fill(redis, `${name}-big`, () => big);
      expect(net > 2n ** 53n).toBe(true);
      const totals = await new TotalsStore(redis, keys.shardCounters.length).read(keys.campaign);
      expect(totals.net).toBe(net);
    });

    it("falls back for a value of more than 15 digits and still sums it exactly", async () => {
      const { keys, net } = await fill(redis, `${name}-wide`, (i) => (i === 0 ? 9_007_199_254_740_993n : 1n));
      expect((await new TotalsStore(redis, keys.shardCounters.length).read(keys.campaign)).net).toBe(net);
    });

    it("reports a corrupt counter by key and field", async () => {
      const { keys } = await fill(redis, `${name}-corrupt`, () => 10n);
      await redis.hset(keys.shardCounters[5] as string, "net", "1.5");
      await expect(new TotalsStore(redis, keys.shardCounters.length).read(keys.campaign)).rejects.toThrow(
        /COUNTER_CORRUPT|counter .*:5}:c field net is not an integer/,
      );
    });
  });
}

describeTopology("single node", async () => {
  const server = await RedisServer.start();
  return {
    nodes: [server],
    redis: createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" }),
    stop: () => server.stop(),
  };
});

describeTopology("3-master cluster", async () => {
  const cluster = await RedisCluster.start();
  return {
    nodes: cluster.nodes,
    redis: createRedis({ redisUrl: undefined, redisClusterNodes: cluster.nodeList }, { name: "test" }),
    stop: () => cluster.stop(),
  };
});
