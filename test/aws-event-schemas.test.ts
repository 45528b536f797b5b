// Our AWS events and answers against an independent source: the Zod schemas of @aws-lambda-powertools/parser for the
// events, AWS's documented partial batch response shapes for the answers, and real handlers on a real Redis.
import {
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  KafkaMskEventSchema,
  KafkaSelfManagedEventSchema,
  KinesisDataStreamSchema,
  SqsSchema,
} from "@aws-lambda-powertools/parser/schemas";
import type { MSKEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { createStreamHandler } from "../ingest/handlers/ingest-stream.js";
import { toApiGatewayV2Event } from "../ingest/local/api-gateway.js";
import apiGatewayV1Sample from "./fixtures/api-gateway-v1-event.json" with { type: "json" };
import apiGatewayV2Sample from "./fixtures/api-gateway-v2-event.json" with { type: "json" };
import { apiGatewayV1Event, apiGatewayV2Event, kinesisEvent, mskEvent, selfManagedKafkaEvent, sqsEvent } from "./fixtures/aws-events.js";
import kinesisSample from "./fixtures/kinesis-event.json" with { type: "json" };
import mskSample from "./fixtures/msk-event.json" with { type: "json" };
import selfManagedSample from "./fixtures/self-managed-kafka-event.json" with { type: "json" };
import { type ShardOutage, shardOutage } from "./fixtures/shard-outage.js";
import sqsSample from "./fixtures/sqs-event.json" with { type: "json" };
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

// Powertools for AWS Lambda (TypeScript) has no schema for the answers, so these follow the AWS Lambda Developer Guide:
// SQS "Implementing partial batch responses" (itemIdentifier = messageId), Kinesis "Configuring partial batch response"
// (itemIdentifier = sequence number), Kafka "Configuring error handling controls for Kafka event sources"
// ({"itemIdentifier": {"partition": "topic-partition_number", "offset": 100}}). Strict: any other key fails.
const stringFailures = z.strictObject({ batchItemFailures: z.array(z.strictObject({ itemIdentifier: z.string().min(1) })) });
const kafkaFailures = z.strictObject({
  batchItemFailures: z.array(
    z.strictObject({ itemIdentifier: z.strictObject({ partition: z.string().min(1), offset: z.number().int().min(0) }) }),
  ),
});

const campaign = "schemas";
const shards = 8;
let server: RedisServer;
let redis: RedisClient;
let outage: ShardOutage;
let runtime: IngestRuntime;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  outage = await shardOutage(createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "ingest", failFast: true }));
  runtime = createIngestRuntime(testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: String(shards) }), outage.redis);
});
afterAll(async () => {
  await outage.close();
  await closeRedis(runtime.redis);
  await closeRedis(redis);
  await server.stop();
});

const pay = (amount: number) => payment({ campaign, amount });
const net = async () => (await readTotals(redis, campaign, shards)).net;

describe("test events pass the Powertools parser schemas", () => {
  it("accepts each AWS sample event as stored in test/fixtures", () => {
    expect(SqsSchema.safeParse(sqsSample).error).toBeUndefined();
    expect(KinesisDataStreamSchema.safeParse(kinesisSample).error).toBeUndefined();
    expect(KafkaMskEventSchema.safeParse(mskSample).error).toBeUndefined();
    expect(KafkaSelfManagedEventSchema.safeParse(selfManagedSample).error).toBeUndefined();
    expect(APIGatewayProxyEventSchema.safeParse(apiGatewayV1Sample).error).toBeUndefined();
    expect(APIGatewayProxyEventV2Schema.safeParse(apiGatewayV2Sample).error).toBeUndefined();
  });

  it("accepts the built SQS and Kinesis events and decodes the payloads we put in", () => {
    const [a, b] = [pay(1), pay(2)];
    const sqs = SqsSchema.parse(
      sqsEvent(
        [
          { messageId: "m1", body: a },
          { messageId: "m2", body: [b] },
        ],
        "arn:aws:sqs:us-east-2:123456789012:q.fifo",
      ),
    );
    expect(sqs.Records.map((r) => [r.messageId, JSON.parse(r.body)])).toEqual([
      ["m1", a],
      ["m2", [b]],
    ]);
    const kinesis = KinesisDataStreamSchema.parse(
      kinesisEvent([
        { sequenceNumber: "10", body: a },
        { sequenceNumber: "11", body: "{bad" },
      ]),
    );
    expect(kinesis.Records.map((r) => [r.kinesis.sequenceNumber, r.kinesis.data])).toEqual([
      ["10", a],
      ["11", "{bad"],
    ]);
  });

  it("accepts the built MSK and self-managed Kafka events with several partitions and decodes their values", () => {
    const [a, b] = [pay(1), pay(2)];
    const partitions = { "payments-0": [{ offset: 5, body: a }], "payments.eu-12": [{ offset: 9, body: [b] }] };
    for (const parsed of [
      KafkaMskEventSchema.parse(mskEvent(partitions)),
      KafkaSelfManagedEventSchema.parse(selfManagedKafkaEvent(partitions)),
    ]) {
      const records = Object.entries(parsed.records).map(([key, list]) =>
        list.map((r) => [key, r.topic, r.partition, r.offset, JSON.parse(r.value)]),
      );
      expect(records.flat()).toEqual([
        ["payments-0", "payments", 0, 5, a],
        ["payments.eu-12", "payments.eu", 12, 9, [b]],
      ]);
    }
  });

  it("accepts the built API Gateway v1 and v2 events and the local gateway's v2 event", () => {
    const body = pay(3);
    expect(JSON.parse(APIGatewayProxyEventV2Schema.parse(apiGatewayV2Event(body)).body ?? "")).toEqual(body);
    expect(JSON.parse(APIGatewayProxyEventSchema.parse(apiGatewayV1Event(body)).body ?? "")).toEqual(body);
    const local = toApiGatewayV2Event(
      "POST",
      "/v1/payments",
      "a=1&a=2",
      { "content-type": "application/json", host: "x" },
      "{}",
      "127.0.0.1",
    );
    expect(APIGatewayProxyEventV2Schema.safeParse(local).error).toBeUndefined();
  });
});

describe("ingestHttp on the AWS sample events", () => {
  it("counts a payment sent through the REST API (v1) and the HTTP API (v2) event", async () => {
    const http = createHttpHandler(() => runtime);
    const before = await net();
    for (const event of [apiGatewayV1Event(pay(40)), apiGatewayV2Event(pay(60))]) {
      const res = await http(event);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body ?? "")).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    }
    expect(await net()).toBe(before + 100n);
  });
});

/** The identifiers Lambda accepts: each must name a record of the invoked event (else it retries the whole batch). */
function namesRecordsOf(event: MSKEvent, identifiers: ReadonlyArray<{ partition: string; offset: number }>): boolean {
  return identifiers.every(({ partition, offset }) => event.records[partition]?.some((r) => r.offset === offset) ?? false);
}

describe("partial batch responses have AWS's documented shape", () => {
  const sources = [
    ["MSK", mskEvent],
    ["self-managed Kafka", selfManagedKafkaEvent],
  ] as const;
  for (const [name, build] of sources) {
    it(`${name}: one transiently failing record is reported as {partition: "<topic>-<partition>", offset}; exact after redelivery`, async () => {
      const stream = createStreamHandler(() => runtime);
      const before = await net();
      const [a, x, c, d] = [pay(1), pay(20), pay(300), pay(4000)];
      const p0 = [
        { offset: 100, body: a },
        { offset: 101, body: x },
        { offset: 102, body: c },
      ];
      const p7 = [{ offset: 3, body: d }];
      outage.downIds.add(String(x.paymentId));
      const event = build({ "orders.v1-0": p0, "orders.v1-7": p7 }) as MSKEvent;
      const first = await stream(event);
      expect(first).toEqual({
        batchItemFailures: [
          { itemIdentifier: { partition: "orders.v1-0", offset: 101 } },
          { itemIdentifier: { partition: "orders.v1-0", offset: 102 } },
        ],
      });
      expect(kafkaFailures.safeParse(first).error).toBeUndefined();
      expect(
        namesRecordsOf(
          event,
          kafkaFailures.parse(first).batchItemFailures.map((f) => f.itemIdentifier),
        ),
      ).toBe(true);
      expect(await net()).toBe(before + 4001n);

      // Lambda resumes the partition at the lowest reported offset; the other partition was committed.
      outage.downIds.clear();
      const again = build({ "orders.v1-0": p0.slice(1) });
      expect(await stream(again as MSKEvent)).toEqual({ batchItemFailures: [] });
      expect(await net()).toBe(before + 4321n);
    });
  }

  it("SQS and Kinesis report the messageId and the sequence number as a plain string", async () => {
    const queue = createQueueHandler(() => runtime);
    const stream = createStreamHandler(() => runtime);
    const x = pay(7);
    outage.downIds.add(String(x.paymentId));
    const [sqs, kinesis] = await Promise.all([
      queue(
        sqsEvent([
          { messageId: "s1", body: pay(1) },
          { messageId: "s2", body: x },
        ]),
      ),
      stream(kinesisEvent([{ sequenceNumber: "900", body: x }])),
    ]);
    outage.downIds.clear();
    expect(stringFailures.parse(sqs)).toEqual({ batchItemFailures: [{ itemIdentifier: "s2" }] });
    expect(stringFailures.parse(kinesis)).toEqual({ batchItemFailures: [{ itemIdentifier: "900" }] });
  });
});
