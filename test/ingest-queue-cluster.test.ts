// ingestQueue and ingestStream against a 3-master Redis Cluster (as on ElastiCache in cluster mode): exact counts, dead letters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { createStreamHandler } from "../ingest/handlers/ingest-stream.js";
import { kinesisEvent, sqsEvent } from "./fixtures/aws-events.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisCluster } from "./support/redis-server.js";

let cluster: RedisCluster;
let redis: RedisClient;
let runtime: IngestRuntime;

beforeAll(async () => {
  cluster = await RedisCluster.start(3);
  const env = { REDIS_CLUSTER_NODES: cluster.envValue, CAMPAIGN: "clustered", SHARDS: "16" };
  redis = createRedis({ redisUrl: undefined, redisClusterNodes: cluster.nodeList }, { name: "test" });
  runtime = createIngestRuntime(testConfig(env));
});
afterAll(async () => {
  await closeRedis(runtime.redis);
  await closeRedis(redis);
  await cluster.stop();
});

describe("event sources on Redis Cluster", () => {
  it("counts an SQS batch across shards exactly once and dead-letters the bad record", async () => {
    const events = Array.from({ length: 40 }, (_, i) => payment({ campaign: "clustered", amount: 1000 + i }));
    const expected = events.reduce((sum, e) => sum + BigInt(e.amount as number), 0n);
    const queue = createQueueHandler(() => runtime);
    const batch = [
      ...events.map((body, i) => ({ messageId: `c${i}`, body })),
      { messageId: "dup", body: events.slice(0, 10) },
      { messageId: "bad", body: { ...payment({ campaign: "clustered" }), currency: "JPY" } },
    ];
    expect(await queue(sqsEvent(batch))).toEqual({ batchItemFailures: [] });
    const totals = await readTotals(redis, "clustered", 16);
    expect(totals.net).toBe(expected);
    expect(totals.count).toBe(40);
    expect(totals.dups).toBe(10);
    expect((await runtime.deadLetters.list(5)).map((l) => l.code)).toEqual(["WRONG_CURRENCY"]);
  });

  it("counts a Kinesis batch in order, once, on the cluster", async () => {
    const before = (await readTotals(redis, "clustered", 16)).net;
    const stream = createStreamHandler(() => runtime);
    const a = payment({ campaign: "clustered", amount: 5 });
    const records = [a, payment({ campaign: "clustered", amount: 6 }), a].map((body, i) => ({ sequenceNumber: String(9000 + i), body }));
    expect(await stream(kinesisEvent(records))).toEqual({ batchItemFailures: [] });
    expect((await readTotals(redis, "clustered", 16)).net).toBe(before + 11n);
  });
});
