// The real @aws-sdk/client-lambda against the local Invoke API: partial batch failures, redelivery, exact totals.
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { type RunningLambdaApi, startLambdaApi } from "../ingest/local/lambda-invoke-api/server.js";
import { kinesisEvent, mskEvent, selfManagedKafkaEvent, sqsEvent } from "./fixtures/aws-events.js";
import { invoke, localLambda } from "./fixtures/lambda-client.js";
import { type ShardOutage, shardOutage } from "./fixtures/shard-outage.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const campaign = "invoke";
const shards = 8;
let server: RedisServer;
let redis: RedisClient;
let outage: ShardOutage;
let runtime: IngestRuntime;
let api: RunningLambdaApi;
let lambda: ReturnType<typeof localLambda>;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  outage = await shardOutage(createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "ingest", failFast: true }));
  runtime = createIngestRuntime(testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: String(shards) }), outage.redis);
  api = await startLambdaApi({ host: "127.0.0.1", port: 0, logger: runtime.logger, runtime, asyncRetryBaseMs: 20 });
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

const pay = (amount: number, extra: Record<string, unknown> = {}) => payment({ campaign, amount, ...extra });
const net = async () => (await readTotals(redis, campaign, shards)).net;
const deadLetterCodes = async () => (await runtime.deadLetters.list(1000)).map((l) => `${l.recordId} ${l.code}`);

describe("Invoke API with @aws-sdk/client-lambda", () => {
  it("reports only the transiently failed SQS message, dead-letters bad ones, and is exact after redelivery", async () => {
    const before = await net();
    const [a, b, c, d, x] = [pay(1000), pay(2000), pay(3000), pay(4000), pay(5000)];
    const batch = [
      { messageId: "m1", body: a },
      { messageId: "m2", body: [b, c] },
      { messageId: "m3", body: { events: [a] } }, // the same payment delivered again
      { messageId: "m4", body: "{not json" },
      { messageId: "m5", body: [d, pay(9, { currency: "USD" })] },
      { messageId: "m6", body: x },
    ];
    outage.downIds.add(String(x.paymentId));
    const first = await invoke(lambda, "ingestQueue", sqsEvent(batch));
    expect(first.statusCode).toBe(200);
    expect(first.functionError).toBeUndefined();
    expect(first.payload).toEqual({ batchItemFailures: [{ itemIdentifier: "m6" }] });
    expect(await net()).toBe(before + 10000n);
    expect(await deadLetterCodes()).toEqual(expect.arrayContaining(["m4 INVALID_JSON", "m5#1 WRONG_CURRENCY"]));

    // SQS redelivers m6 (and, at least once, m1 again): m6 is counted now, m1 not twice.
    outage.downIds.clear();
    const second = await invoke(lambda, "sales-counter-dev-ingestQueue", sqsEvent([batch[5]!, batch[0]!]));
    expect(second.payload).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before + 15000n);
  });

  it("reports the failed Kinesis record and every later one; redelivery from it makes the total exact", async () => {
    const before = await net();
    const [a, x, c] = [pay(100), pay(200), pay(300)];
    const records = [
      { sequenceNumber: "1001", body: a },
      { sequenceNumber: "1002", body: { amount: 5 } },
      { sequenceNumber: "1003", body: x },
      { sequenceNumber: "1004", body: c },
      { sequenceNumber: "1005", body: a },
    ];
    outage.downIds.add(String(x.paymentId));
    const first = await invoke(lambda, "ingestStream", kinesisEvent(records));
    expect(first.payload).toEqual({ batchItemFailures: ["1003", "1004", "1005"].map((itemIdentifier) => ({ itemIdentifier })) });
    expect(await net()).toBe(before + 100n);
    expect(await deadLetterCodes()).toContain("1002 MISSING_FIELD");

    // Lambda checkpoints before the lowest reported sequence number and redelivers from there.
    outage.downIds.clear();
    const second = await invoke(lambda, "ingestStream", kinesisEvent(records.slice(2)));
    expect(second.payload).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before + 600n);
  });

  for (const [source, build] of [
    ["MSK", mskEvent],
    ["self-managed Kafka", selfManagedKafkaEvent],
  ] as const) {
    it(`reports the failed ${source} record and the rest of its partition only; redelivery makes the total exact`, async () => {
      const before = await net();
      const [a, x, c, d] = [pay(10), pay(20), pay(30), pay(40)];
      const p0 = [
        { offset: 10, body: a },
        { offset: 11, body: x },
        { offset: 12, body: c },
      ];
      const p1 = [
        { offset: 7, body: d },
        { offset: 8, body: pay(50, { amount: -50 }) },
      ];
      outage.downIds.add(String(x.paymentId));
      const first = await invoke(lambda, "ingestStream", build({ "payments-0": p0, "payments-1": p1 }));
      // The documented Kafka identifier: the topic-partition key of the event's records and the offset.
      expect(first.payload).toEqual({
        batchItemFailures: [
          { itemIdentifier: { partition: "payments-0", offset: 11 } },
          { itemIdentifier: { partition: "payments-0", offset: 12 } },
        ],
      });
      expect(await net()).toBe(before + 50n);
      expect(await deadLetterCodes()).toContain("payments-1@8 INVALID_AMOUNT");

      outage.downIds.clear();
      const second = await invoke(lambda, "ingestStream", build({ "payments-0": p0.slice(1), "payments-1": p1 }));
      expect(second.payload).toEqual({ batchItemFailures: [] });
      expect(await net()).toBe(before + 100n);
    });
  }

  it("counts an Event invocation once even when the same invocation is delivered twice", async () => {
    const before = await net();
    const event = sqsEvent([{ messageId: "e1", body: [pay(7000), pay(8000)] }]);
    const first = await invoke(lambda, "ingestQueue", event, "Event");
    const again = await invoke(lambda, "ingestQueue", event, "Event");
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(first.payload).toBeUndefined();
    await api.drain();
    expect(await net()).toBe(before + 15000n);
  });

  it("answers DryRun with 204 and counts nothing", async () => {
    const before = await net();
    const dry = await invoke(lambda, "ingestQueue", sqsEvent([{ messageId: "d1", body: pay(1) }]), "DryRun");
    expect(dry.statusCode).toBe(204);
    expect(await net()).toBe(before);
  });

  it("answers a handler error with 200, X-Amz-Function-Error and {errorMessage, errorType}", async () => {
    const res = await invoke(lambda, "ingestQueue", { hello: "world" });
    expect(res.statusCode).toBe(200);
    expect(res.functionError).toBe("Unhandled");
    expect(res.payload).toMatchObject({ errorType: "UnsupportedEventError", errorMessage: expect.stringContaining("Records") });
  });

  it("answers GET /healthz and unknown operations with 404 UnknownOperationException", async () => {
    expect((await fetch(`http://127.0.0.1:${api.port}/healthz`)).status).toBe(200);
    const other = await fetch(`http://127.0.0.1:${api.port}/2015-03-31/functions`);
    expect(other.status).toBe(404);
    expect(other.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
  });

  it("rejects an unknown function with ResourceNotFoundException", async () => {
    await expect(invoke(lambda, "ingestNothing", {})).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(invoke(lambda, "sales-counter-prod-ingestQueue", {})).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("serves the $LATEST qualifier and rejects any other version", async () => {
    const event = sqsEvent([{ messageId: "q1", body: pay(1) }]);
    const latest = await lambda.send(
      new InvokeCommand({ FunctionName: "ingestQueue", Qualifier: "$LATEST", Payload: Buffer.from(JSON.stringify(event)) }),
    );
    expect(latest.StatusCode).toBe(200);
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: "ingestQueue", Qualifier: "7", Payload: Buffer.from("{}") })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("rejects an Event payload over 1 MB with 413 and counts nothing", async () => {
    const before = await net();
    const big = sqsEvent([{ messageId: "big-async", body: { events: [pay(1, { note: "x".repeat(1024 * 1024) })] } }]);
    await expect(invoke(lambda, "ingestQueue", big, "Event")).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
    await api.drain();
    expect(await net()).toBe(before);
  });

  it("rejects a payload over 6 MB with 413 and counts nothing", async () => {
    const before = await net();
    const big = sqsEvent([{ messageId: "big", body: { events: [pay(1, { note: "x".repeat(6 * 1024 * 1024) })] } }]);
    await expect(invoke(lambda, "ingestQueue", big)).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
    expect(await net()).toBe(before);
  });

  it("accepts the function ARN and the ingestHttp API Gateway event", async () => {
    const before = await net();
    const event = {
      version: "2.0",
      routeKey: "POST /v1/payments",
      rawPath: "/v1/payments",
      rawQueryString: "",
      headers: { "content-type": "application/json" },
      requestContext: { http: { method: "POST", path: "/v1/payments" } },
      body: JSON.stringify(pay(123)),
      isBase64Encoded: false,
    };
    const res = await invoke(lambda, "arn:aws:lambda:us-east-1:000000000000:function:sales-counter-dev-ingestHttp", event);
    expect(res.payload).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(res.payload.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await net()).toBe(before + 123n);
  });
});
