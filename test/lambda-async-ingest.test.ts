// InvocationType Event against ingestEvent, through the real @aws-sdk/client-lambda and the local Invoke API: a Redis
// outage is an error Lambda retries, the payment is counted exactly once, and an invocation whose retries all fail
// reaches the on-failure destination as AWS's invocation record, which ingestQueue (the destination queue's
// consumer) counts once Redis is back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import type { InvocationRecord } from "../ingest/domain/invocation-record.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { type RunningLambdaApi, startLambdaApi } from "../ingest/local/lambda-invoke-api/server.js";
import { sqsEvent } from "./fixtures/aws-events.js";
import { invoke, localLambda } from "./fixtures/lambda-client.js";
import { type ShardOutage, shardOutage } from "./fixtures/shard-outage.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const campaign = "async";
const shards = 4;
// Lambda waits 1 and 2 minutes between attempts; here 1/200 of that.
const retryBaseMs = 300;
let server: RedisServer;
let redis: RedisClient;
let outage: ShardOutage;
let runtime: IngestRuntime;
let api: RunningLambdaApi;
let lambda: ReturnType<typeof localLambda>;
const destination: InvocationRecord[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  outage = await shardOutage(createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "ingest", failFast: true }));
  runtime = createIngestRuntime(testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: String(shards) }), outage.redis);
  api = await startLambdaApi({
    host: "127.0.0.1",
    port: 0,
    logger: runtime.logger,
    runtime,
    asyncRetryBaseMs: retryBaseMs,
    onAsyncFailure: (record) => destination.push(record),
  });
  lambda = localLambda(api.port);
});
afterAll(async () => {
  lambda.destroy();
  await api.close();
  await outage.close();
  await closeRedis(runtime.redis);
  await closeRedis(redis);
  await server.stop();
});

const net = async () => (await readTotals(redis, campaign, shards)).net;

describe("Event invocations of ingestEvent", () => {
  it("answers 202, fails during a Redis outage, is retried by Lambda and counted exactly once", async () => {
    const before = await net();
    const p = payment({ campaign, amount: 1234 });
    outage.downIds.add(String(p.paymentId));
    const accepted = await invoke(lambda, "sales-counter-dev-ingestEvent", p, "Event");
    expect(accepted.statusCode).toBe(202);
    // The first attempt fails against the stopped node; Redis is back before the retry a "minute" later.
    await new Promise((r) => setTimeout(r, retryBaseMs / 2));
    expect(await net()).toBe(before);
    outage.downIds.clear();
    await api.drain();
    expect(await net()).toBe(before + 1234n);
    expect((await readTotals(redis, campaign, shards)).dups).toBe(0);
    expect(destination).toEqual([]);
  });

  it("sends an invocation that fails every attempt to the on-failure destination, which the queue path counts once", async () => {
    const before = await net();
    const p = payment({ campaign, amount: 777 });
    outage.downIds.add(String(p.paymentId));
    const started = Date.now();
    await invoke(lambda, "ingestEvent", { events: [p] }, "Event");
    await api.drain();
    // Three attempts in all, 1 x and 2 x the backoff apart, as Lambda's asynchronous retries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * retryBaseMs - 50);
    expect(await net()).toBe(before);
    expect(destination).toHaveLength(1);
    const record = destination[0]!;
    expect(record).toMatchObject({
      version: "1.0",
      requestContext: {
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
        functionArn: expect.stringContaining(":function:sales-counter-dev-ingestEvent"),
      },
      requestPayload: { events: [p] },
      responseContext: { statusCode: 200, functionError: "Unhandled" },
      responsePayload: { errorType: "CountLaterError", errorMessage: expect.stringContaining("COUNTER_UNAVAILABLE") },
    });
    // serverless.yml's destination is the payments queue: ingestQueue receives the record as a message body.
    outage.downIds.clear();
    const queue = createQueueHandler(() => runtime);
    const message = { messageId: "dest-1", body: JSON.stringify(record) };
    expect(await queue(sqsEvent([message]))).toEqual({ batchItemFailures: [] });
    expect(await queue(sqsEvent([message]))).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before + 777n);
  });

  it("returns the counts to a RequestResponse caller and dead-letters what can never count", async () => {
    const res = await invoke(lambda, "ingestEvent", [payment({ campaign, amount: 5 }), { paymentId: "no-amount" }]);
    expect(res.functionError).toBeUndefined();
    expect(res.payload).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ code: "MISSING_FIELD" }] });
    expect(res.payload.rejected[0].recordId).toMatch(/#1$/);
  });
});
