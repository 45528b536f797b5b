// Bad input on every event source: a clear per-record reason in the dead-letter list, nothing counted, nothing retried.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { maxDeadLetters } from "../core/store/dead-letters.js";
import { campaignKeys } from "../core/store/keys.js";
import { ingestRegistry } from "../ingest/domain/metrics-prometheus.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { createStreamHandler } from "../ingest/handlers/ingest-stream.js";
import { type Body, kinesisEvent, mskEvent, selfManagedKafkaEvent, sqsEvent } from "./fixtures/aws-events.js";
import { type ShardOutage, shardOutage } from "./fixtures/shard-outage.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const campaign = "sources";
let server: RedisServer;
let redis: RedisClient;
let outage: ShardOutage;
let runtime: IngestRuntime;
let queue: ReturnType<typeof createQueueHandler>;
let stream: ReturnType<typeof createStreamHandler>;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  outage = await shardOutage(createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "ingest", failFast: true }));
  runtime = createIngestRuntime(testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "8" }), outage.redis);
  queue = createQueueHandler(() => runtime);
  stream = createStreamHandler(() => runtime);
});
afterAll(async () => {
  await outage.close();
  await closeRedis(runtime.redis);
  await closeRedis(redis);
  await server.stop();
});

const net = async () => (await readTotals(redis, campaign, 8)).net;
const pay = (extra: Record<string, unknown> = {}) => payment({ campaign, ...extra });

const badBodies: Array<[string, Body, string, string]> = [
  ["invalid JSON", "{not json", "INVALID_JSON", "body"],
  ["an empty body", "", "EMPTY_BODY", "body"],
  ["a scalar", "42", "INVALID_BATCH", "body"],
  ["events that are not an array", { events: 5 }, "INVALID_BATCH", "events"],
  ["an empty batch", [], "EMPTY_BATCH", "events"],
  ["too many events", Array.from({ length: 1001 }, () => ({})), "TOO_MANY_EVENTS", "events"],
  ["a missing paymentId", { amount: 1, currency: "KRW", occurredAt: new Date().toISOString() }, "MISSING_FIELD", "paymentId"],
  ["a string amount", { ...payment(), amount: "1000" }, "INVALID_AMOUNT", "amount"],
  ["a wrong currency", { ...payment(), currency: "USD" }, "WRONG_CURRENCY", "currency"],
  ["another campaign", { ...payment(), campaign: "other" }, "UNKNOWN_CAMPAIGN", "campaign"],
];

type Source = [string, (id: string, body: Body) => Promise<unknown>, string];
const sources: Source[] = [
  ["SQS", (id, body) => queue(sqsEvent([{ messageId: id, body }])), "sqs"],
  ["Kinesis", (id, body) => stream(kinesisEvent([{ sequenceNumber: id, body }])), "kinesis"],
  ["MSK", (id, body) => stream(mskEvent({ [`t${id}-0`]: [{ offset: 1, body }] })), "kafka"],
  ["self-managed Kafka", (id, body) => stream(selfManagedKafkaEvent({ [`s${id}-0`]: [{ offset: 1, body }] })), "kafka"],
];

describe("bad input on each event source", () => {
  let n = 0;
  for (const [sourceName, send, source] of sources) {
    for (const [name, body, code, field] of badBodies) {
      it(`${sourceName}: dead-letters ${name} as ${code} naming ${field}, counts nothing, does not retry`, async () => {
        const id = String(++n);
        const before = await net();
        const result = await send(id, body);
        expect(result).toEqual({ batchItemFailures: [] });
        expect(await net()).toBe(before);
        const [letter] = await runtime.deadLetters.list(1);
        expect(letter).toMatchObject({ source, code, message: expect.stringContaining(field) });
        expect(letter?.recordId).toContain(id);
        expect(typeof letter?.at).toBe("string");
        expect(letter?.body.length).toBeLessThanOrEqual(2100);
      });
    }
  }

  it("counts the good events of a record and dead-letters only its bad ones, by index", async () => {
    const before = await net();
    const good = pay({ amount: 321 });
    const result = await queue(sqsEvent([{ messageId: "mixed", body: [good, pay({ amount: 0 }), pay({ occurredAt: "soon" })] }]));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before + 321n);
    const letters = await runtime.deadLetters.list(2);
    expect(letters.map((l) => `${l.recordId} ${l.code}`).sort()).toEqual(["mixed#1 INVALID_AMOUNT", "mixed#2 INVALID_OCCURRED_AT"]);
  });

  it("dead-letters a payment id reused with another amount as ID_CONFLICT", async () => {
    const first = pay({ amount: 10 });
    await queue(sqsEvent([{ messageId: "c1", body: first }]));
    const before = await net();
    expect(await queue(sqsEvent([{ messageId: "c2", body: { ...first, amount: 99 } }]))).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before);
    expect((await runtime.deadLetters.list(1))[0]).toMatchObject({ recordId: "c2", code: "ID_CONFLICT" });
  });

  it("counts dead letters in a Prometheus metric by source and code", async () => {
    const text = await ingestRegistry.metrics();
    expect(text).toMatch(/sales_ingest_dead_letters_total\{source="sqs",code="INVALID_JSON"\} [1-9]/);
    expect(text).toMatch(/sales_ingest_dead_letters_total\{source="kafka",code="WRONG_CURRENCY"\} [1-9]/);
  });

  it("throws UnsupportedEventError for an event of another source, so the Invoke API reports a function error", async () => {
    await expect(queue(kinesisEvent([{ sequenceNumber: "1", body: pay() }]) as never)).rejects.toMatchObject({ code: "UNSUPPORTED_EVENT" });
    await expect(stream(sqsEvent([{ messageId: "1", body: pay() }]) as never)).rejects.toMatchObject({ code: "UNSUPPORTED_EVENT" });
    await expect(stream({ hello: 1 } as never)).rejects.toThrow(/Kinesis|Kafka/);
  });

  it("keeps the dead-letter list bounded", async () => {
    const letters = Array.from({ length: maxDeadLetters + 25 }, (_, i) => ({
      source: "test",
      recordId: `b${i}`,
      code: "X",
      message: "m",
      body: "",
    }));
    await runtime.deadLetters.record(letters);
    expect(await redis.llen(campaignKeys(campaign, 1).deadLetters)).toBe(maxDeadLetters);
  });

  it("on a FIFO queue, stops at the first passing failure and hands back it and every later message", async () => {
    const [a, x, c] = [pay({ amount: 1 }), pay({ amount: 2 }), pay({ amount: 4 })];
    const before = await net();
    outage.downIds.add(String(x.paymentId));
    const arn = "arn:aws:sqs:us-east-2:123456789012:payments.fifo";
    const event = sqsEvent(
      [
        { messageId: "f1", body: a },
        { messageId: "f2", body: x },
        { messageId: "f3", body: c },
      ],
      arn,
    );
    expect(await queue(event)).toEqual({ batchItemFailures: [{ itemIdentifier: "f2" }, { itemIdentifier: "f3" }] });
    expect(await net()).toBe(before + 1n);
    outage.downIds.clear();
    expect(await queue(event)).toEqual({ batchItemFailures: [] });
    expect(await net()).toBe(before + 7n);
  });
});

describe("when Redis is down for the whole batch", () => {
  it("reports every record quickly instead of hanging, then counts exactly once on redelivery", async () => {
    const lonely = await RedisServer.start();
    const own = createIngestRuntime(testConfig({ REDIS_URL: lonely.url, CAMPAIGN: "down", SHARDS: "4" }));
    const handler = createQueueHandler(() => own);
    const [a, b] = [payment({ campaign: "down", amount: 5 }), payment({ campaign: "down", amount: 6 })];
    const event = sqsEvent([
      { messageId: "d1", body: a },
      { messageId: "d2", body: [a, b] },
      { messageId: "d3", body: "{bad" },
    ]);
    await lonely.kill();
    const started = Date.now();
    const down = await handler(event);
    expect(Date.now() - started).toBeLessThan(8000);
    // The bad record is retried too: its dead letter could not be written, and acknowledging it would lose it.
    expect(down).toEqual({ batchItemFailures: ["d1", "d2", "d3"].map((itemIdentifier) => ({ itemIdentifier })) });

    await lonely.restart();
    const deadline = Date.now() + 10000;
    let again = await handler(event);
    while (JSON.stringify(again) !== JSON.stringify({ batchItemFailures: [] }) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      again = await handler(event);
    }
    expect(again).toEqual({ batchItemFailures: [] });
    const check = createRedis({ redisUrl: lonely.url, redisClusterNodes: undefined }, { name: "check" });
    expect((await readTotals(check, "down", 4)).net).toBe(11n);
    await closeRedis(check);
    await closeRedis(own.redis);
    await lonely.stop();
  });
});
