// The fold against a local 3-master Redis Cluster: shard hashes live on different nodes, read without CROSSSLOT errors.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, isCluster, type RedisClient } from "../core/redis.js";
import { parseSnapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import { countOneEvent } from "../core/store/reference.js";
import { testConfig } from "./support/config.js";
import { RedisCluster } from "./support/redis-server.js";

let cluster: RedisCluster;
let config: Config;
let redis: RedisClient;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  config = testConfig({
    REDIS_CLUSTER_NODES: cluster.envValue,
    CAMPAIGN: "cluster",
    SHARDS: "32",
    FOLD_INTERVAL_MS: "20",
  });
  redis = createRedis(config, { name: "test" });
});

afterAll(async () => {
  await closeRedis(redis);
  await cluster.stop();
});

it("folds shards spread over three cluster masters into one total", async () => {
  expect(isCluster(redis)).toBe(true);
  const keys = campaignKeys(config.campaign, config.shards);
  let expected = 0n;
  for (let i = 0; i < config.shards; i++) {
    const amount = 1_000_000_000_000 + i;
    const event = { campaign: config.campaign, paymentId: `p${i}`, amount, kind: "payment" as const, channel: "web", shard: i };
    expect(await countOneEvent(redis, config.shards, 3600, event)).toBe(1);
    expected += BigInt(amount);
  }
  const nodesHoldingShards = await Promise.all(cluster.nodes.map((n) => n.cli("dbsize")));
  expect(nodesHoldingShards.filter((size) => Number(size) > 0).length).toBe(3);

  const aggregator = await startAggregator({ config, logger: createLogger("test", "silent") });
  try {
    expect(aggregator.isLeader()).toBe(true);
    const json = await redis.get(keys.latest);
    expect(json).not.toBeNull();
    const snapshot = parseSnapshot(json ?? "");
    expect(snapshot.total).toBe(expected.toString());
    expect(snapshot.count).toBe(config.shards);
    expect(snapshot.channels["web"]).toEqual({ total: expected.toString(), count: config.shards });
  } finally {
    await aggregator.stop();
  }
});
