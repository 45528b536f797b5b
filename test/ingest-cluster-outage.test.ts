// Every Lambda handler answers within INGEST_DEADLINE_MS when every node of the Redis Cluster is down (a warm container
// that was connected, and a cold one that never was), well before the function timeout, and counts again afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createEventHandler } from "../ingest/handlers/ingest-event.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { createStreamHandler } from "../ingest/handlers/ingest-stream.js";
import { kinesisEvent, mskEvent, sqsEvent } from "./fixtures/aws-events.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisCluster } from "./support/redis-server.js";

const campaign = "outage";
const shards = 8;
const deadlineMs = 1500;
// serverless.yml's function timeout: a handler that hung on Redis would be ended by Lambda here.
const functionTimeoutMs = 10_000;
// The context Lambda passes: this much time left before the function times out.
const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => functionTimeoutMs });

let cluster: RedisCluster;
let warm: IngestRuntime;

const runtimeFor = () =>
  createIngestRuntime(
    testConfig({
      REDIS_CLUSTER_NODES: cluster.envValue,
      CAMPAIGN: campaign,
      SHARDS: String(shards),
      INGEST_DEADLINE_MS: String(deadlineMs),
    }),
  );

/** One invocation of each handler, with how long each took. */
async function invokeEach(runtime: IngestRuntime) {
  const get = () => runtime;
  const pay = () => payment({ campaign, amount: 100 });
  const timed = async <T>(run: () => Promise<T>) => {
    const started = performance.now();
    const outcome = await run().then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error: error as Error }),
    );
    return { ...outcome, ms: performance.now() - started };
  };
  const body = JSON.stringify(pay());
  const httpEvent = {
    version: "2.0",
    rawPath: "/v1/payments",
    headers: {},
    requestContext: { http: { method: "POST", path: "/v1/payments" } },
    body,
  };
  return {
    http: await timed(() => createHttpHandler(get)(httpEvent as never, context("h"))),
    queue: await timed(() => createQueueHandler(get)(sqsEvent([{ messageId: "q1", body: pay() }]), context("q"))),
    kinesis: await timed(() => createStreamHandler(get)(kinesisEvent([{ sequenceNumber: "7", body: pay() }]), context("k"))),
    kafka: await timed(() => createStreamHandler(get)(mskEvent({ "payments-0": [{ offset: 3, body: pay() }] }), context("m"))),
    event: await timed(() => createEventHandler(get)(pay(), context("e"))),
  };
}

function expectPassingFailures(results: Awaited<ReturnType<typeof invokeEach>>) {
  expect(results.http.value).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
  expect(JSON.parse(results.http.value!.body as string).error.code).toBe("COUNTER_UNAVAILABLE");
  expect(results.queue.value).toEqual({ batchItemFailures: [{ itemIdentifier: "q1" }] });
  expect(results.kinesis.value).toEqual({ batchItemFailures: [{ itemIdentifier: "7" }] });
  expect(results.kafka.value).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: "payments-0", offset: 3 } }] });
  // A direct invocation fails as an error, so Lambda retries it (an Event invocation) or the caller sees it.
  expect(results.event.error).toMatchObject({ code: "COUNTER_UNAVAILABLE" });
  for (const [name, { ms }] of Object.entries(results)) {
    expect(ms, `${name} answered after ${Math.round(ms)} ms`).toBeLessThan(deadlineMs + 500);
    expect(ms).toBeLessThan(functionTimeoutMs / 4);
  }
}

beforeAll(async () => {
  cluster = await RedisCluster.start(3);
  warm = runtimeFor();
  // The warm container has connected and checked the eviction policy before the outage.
  expect(await createQueueHandler(() => warm)(sqsEvent([{ messageId: "w", body: payment({ campaign, amount: 1 }) }]))).toEqual({
    batchItemFailures: [],
  });
  await Promise.all(cluster.nodes.map((node) => node.kill()));
}, 30_000);
afterAll(async () => {
  await closeRedis(warm.redis);
  await cluster.stop();
});

describe("a Redis Cluster with every node stopped", () => {
  it("a warm container's handlers answer with passing failures within INGEST_DEADLINE_MS", async () => {
    expectPassingFailures(await invokeEach(warm));
  }, 30_000);

  it("a cold container that never reached the cluster answers the same way", async () => {
    const cold = runtimeFor();
    try {
      expectPassingFailures(await invokeEach(cold));
    } finally {
      cold.redis.disconnect();
    }
  }, 30_000);

  it("the same container counts again once the nodes are back, without sending the timed-out writes", async () => {
    await Promise.all(cluster.nodes.map((node) => node.restart()));
    const queue = createQueueHandler(() => warm);
    const a = payment({ campaign, amount: 4000 });
    const until = Date.now() + 20_000;
    let result = await queue(sqsEvent([{ messageId: "after", body: a }]), context("after"));
    while (result.batchItemFailures.length > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      result = await queue(sqsEvent([{ messageId: "after", body: a }]), context("after"));
    }
    expect(result).toEqual({ batchItemFailures: [] });
    const check: RedisClient = createRedis({ redisUrl: undefined, redisClusterNodes: cluster.nodeList }, { name: "check" });
    try {
      // The nodes restarted empty (no persistence): only the payment counted after the outage is there, once.
      await new Promise((r) => setTimeout(r, 2 * deadlineMs));
      expect((await readTotals(check, campaign, shards)).net).toBe(4000n);
    } finally {
      await closeRedis(check);
    }
  }, 40_000);
});
