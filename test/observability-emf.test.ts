// CloudWatch metrics as Embedded Metric Format lines on stdout: the Lambda handlers per invocation (Powertools Metrics),
// the aggregator and broadcaster every METRICS_INTERVAL_MS when METRICS_NAMESPACE is set (as on ECS). Every line is checked against the EMF
// specification (test/support/emf.ts); the counts are those of the batches sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/config.js";
import { loadIngestMetrics } from "../ingest/domain/metrics.js";
import { toApiGatewayV2Event } from "../ingest/local/api-gateway.js";
import { sqsEvent } from "./fixtures/aws-events.js";
import { Component } from "./support/components.js";
import { dimensionSetsOf, type EmfDocument, emfDocuments, metricsOf, sumOf } from "./support/emf.js";
import { type LambdaRun, runLambda } from "./support/lambda-process.js";
import { LiveViewer, waitUntil } from "./support/live-viewer.js";
import { freePort, RedisServer } from "./support/redis-server.js";

const campaign = "emf";
const queueFunction = "sales-counter-test-ingestQueue";
let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const lambdaEnv = () => ({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "4" });
const pay = (paymentId: string, extra: Record<string, unknown> = {}) => ({
  paymentId,
  amount: 1000,
  currency: "KRW",
  occurredAt: "2026-11-27T00:00:00Z",
  campaign,
  ...extra,
});
const ofInvocation = (docs: EmfDocument[], awsRequestId: string) => docs.filter((d) => d.awsRequestId === awsRequestId);
const withDimensions = (docs: EmfDocument[], ...keys: string[]) =>
  docs.filter((d) => dimensionSetsOf(d).some((set) => set.join() === [...keys].sort().join()));

describe("a Lambda handler on Lambda (AWS_LAMBDA_FUNCTION_NAME set)", () => {
  let run: LambdaRun;
  let docs: EmfDocument[];

  beforeAll(async () => {
    // One container, two invocations: a mixed batch, then a batch of one.
    const mixed = sqsEvent([
      { messageId: "m1", body: [pay("emf-1"), pay("emf-2")] },
      { messageId: "m2", body: pay("emf-1") }, // the same payment again: a duplicate
      { messageId: "m3", body: "{not json" }, // dead letter INVALID_JSON
      { messageId: "m4", body: pay("emf-3", { currency: "USD" }) }, // rejected and dead-lettered WRONG_CURRENCY
    ]);
    const single = sqsEvent([{ messageId: "m5", body: pay("emf-4") }]);
    run = await runLambda("ingest/handlers/ingest-queue.ts", [mixed, single], { ...lambdaEnv(), AWS_LAMBDA_FUNCTION_NAME: queueFunction });
    docs = emfDocuments(run.stdout);
  }, 30_000);

  it("writes EMF documents that follow the specification, in the namespace, with service, function and source", () => {
    expect(run.invocations.map((i) => i.result)).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc._aws.CloudWatchMetrics.map((d) => d.Namespace)).toEqual(["SalesCounter"]);
      expect(Math.abs(doc._aws.Timestamp - Date.now())).toBeLessThan(60_000);
      expect(doc).toMatchObject({ service: "ingest", function: queueFunction, source: "sqs" });
      for (const set of dimensionSetsOf(doc))
        expect([
          ["function", "service", "source"],
          ["code", "function", "service", "source"],
        ]).toContainEqual(set);
    }
  });

  it("reports the counts of each batch once, at the end of its invocation", () => {
    const [first, second] = run.invocations.map((i) => ofInvocation(docs, i.awsRequestId));
    const main = withDimensions(first!, "service", "function", "source");
    expect(main).toHaveLength(1); // one flush per invocation
    expect(main[0]).toMatchObject({
      Accepted: 2,
      Duplicates: 1,
      Rejected: 1,
      DeadLetters: 2,
      RetriedRecords: 0,
      BatchItemFailures: 0,
      RedisErrors: 0,
    });
    expect(metricsOf(main[0]!)).toMatchObject({ Accepted: "Count", DeadLetters: "Count", WriteLatency: "Milliseconds" });
    // One write per record that had valid events (m1, m2), each timed.
    expect([main[0]!.WriteLatency].flat()).toHaveLength(2);
    for (const ms of [main[0]!.WriteLatency].flat()) expect(ms).toBeGreaterThan(0);

    const byCode = withDimensions(first!, "service", "function", "source", "code");
    const codeCount = (metric: string, code: string) =>
      sumOf(
        byCode.filter((d) => d.code === code && metric in d),
        metric,
      );
    expect(codeCount("Rejected", "WRONG_CURRENCY")).toBe(1);
    expect(codeCount("DeadLetters", "WRONG_CURRENCY")).toBe(1);
    expect(codeCount("DeadLetters", "INVALID_JSON")).toBe(1);

    expect(withDimensions(second!, "service", "function", "source")).toEqual([
      expect.objectContaining({ Accepted: 1, Duplicates: 0, Rejected: 0 }),
    ]);
    expect(docs).toHaveLength(first!.length + second!.length); // every document belongs to an invocation
  });

  it("logs with the request id of the invocation", () => {
    const logs = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("{") && !line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as { msg: string; awsRequestId?: string; recordId?: string });
    const deadLettered = logs.filter((l) => l.msg === "dead-lettered");
    expect(deadLettered.map((l) => l.recordId).sort()).toEqual(["m3", "m4"]);
    for (const line of deadLettered) expect(line.awsRequestId).toBe(run.invocations[0]!.awsRequestId);
  });

  it("creates no prom-client registry: prom-client is not even loaded", () => {
    expect(run.promClientLoaded).toBe(false);
  });

  it("counts batch item failures, retried records and Redis errors when Redis is unreachable", async () => {
    const down = await runLambda(
      "ingest/handlers/ingest-queue.ts",
      [
        sqsEvent([
          { messageId: "d1", body: pay("emf-down-1") },
          { messageId: "d2", body: pay("emf-down-2") },
        ]),
      ],
      { ...lambdaEnv(), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, AWS_LAMBDA_FUNCTION_NAME: queueFunction },
    );
    expect(down.invocations[0]?.result).toEqual({ batchItemFailures: [{ itemIdentifier: "d1" }, { itemIdentifier: "d2" }] });
    expect(withDimensions(emfDocuments(down.stdout), "service", "function", "source")).toEqual([
      expect.objectContaining({ Accepted: 0, BatchItemFailures: 2, RetriedRecords: 2, RedisErrors: 2 }),
    ]);
  }, 30_000);

  it("reports HTTP answers by status, and rejections by code, for ingestHttp", async () => {
    const body = JSON.stringify([pay("emf-http-1"), pay("emf-http-2", { amount: -5 })]);
    const event = toApiGatewayV2Event("POST", "/v1/payments", "", { "content-type": "application/json" }, body, "127.0.0.1");
    const http = await runLambda("ingest/handlers/ingest-http.ts", [event], {
      ...lambdaEnv(),
      AWS_LAMBDA_FUNCTION_NAME: "sales-counter-test-ingestHttp",
    });
    expect(http.invocations[0]?.result).toMatchObject({ statusCode: 200 });
    const httpDocs = emfDocuments(http.stdout);
    expect(withDimensions(httpDocs, "service", "function", "source")).toEqual([
      expect.objectContaining({ source: "http", Accepted: 1, Rejected: 1 }),
    ]);
    expect(withDimensions(httpDocs, "service", "function", "source", "status")).toEqual([
      expect.objectContaining({ status: "200", Responses: 1 }),
    ]);
    expect(withDimensions(httpDocs, "service", "function", "source", "code")).toEqual([
      expect.objectContaining({ code: "INVALID_AMOUNT", Rejected: 1 }),
    ]);
    expect(http.promClientLoaded).toBe(false);
  }, 30_000);

  it("outside Lambda writes no EMF and counts into prom-client instead (the same check sees it loaded)", async () => {
    const local = await runLambda(
      "ingest/handlers/ingest-queue.ts",
      [sqsEvent([{ messageId: "l1", body: pay("emf-local-1") }])],
      lambdaEnv(),
    );
    expect(local.invocations[0]?.result).toEqual({ batchItemFailures: [] });
    expect(emfDocuments(local.stdout)).toEqual([]);
    expect(local.promClientLoaded).toBe(true);
  }, 30_000);
});

describe("the aggregator and broadcaster with METRICS_NAMESPACE set (as on ECS)", () => {
  const env = () => ({
    REDIS_URL: server.url,
    CAMPAIGN: campaign,
    SHARDS: "4",
    HOST: "127.0.0.1",
    STAGE: "test",
    HEARTBEAT_MS: "200",
    METRICS_NAMESPACE: "SalesCounter",
    METRICS_INTERVAL_MS: "1000",
  });
  let aggregator: Component;
  let broadcaster: Component;
  let port: number;
  const docsOf = (c: Component) => emfDocuments(c.stdout.join(""));

  beforeAll(async () => {
    port = await freePort();
    aggregator = Component.start("aggregator/main.ts", env());
    broadcaster = Component.start("broadcaster/main.ts", { ...env(), BROADCASTER_PORT: String(port) });
  });
  afterAll(async () => {
    await Promise.all([aggregator?.stop(), broadcaster?.stop()]);
  });

  const expectDimensions = (docs: EmfDocument[], service: string) => {
    for (const doc of docs) {
      expect(doc._aws.CloudWatchMetrics.map((d) => d.Namespace)).toEqual(["SalesCounter"]);
      expect(dimensionSetsOf(doc)).toEqual([["Service", "Stage"]]);
      expect(doc).toMatchObject({ Service: service, Stage: "test" });
    }
  };

  it("the broadcaster writes its connections and the snapshot age every interval", async () => {
    await waitUntil(
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined),
      "broadcaster ready",
      20_000,
    );
    const viewer = new LiveViewer(`ws://127.0.0.1:${port}/v1/live?campaign=${campaign}`);
    await viewer.opened;
    await viewer.waitFor(() => true, 5000);
    const withViewer = await waitUntil(
      () => docsOf(broadcaster).find((d) => d.Connections === 1 && "SnapshotAgeSeconds" in d),
      "a line with 1 connection",
      5000,
    );
    expect(metricsOf(withViewer)).toEqual({ Connections: "Count", SnapshotAgeSeconds: "Seconds", RedisReconnects: "Count" });
    // The aggregator publishes at least every HEARTBEAT_MS (200 ms): a live number is well under a second old.
    expect(withViewer.SnapshotAgeSeconds).toBeLessThan(2);
    viewer.close();
    await waitUntil(
      () => docsOf(broadcaster).find((d) => d._aws.Timestamp > withViewer._aws.Timestamp && d.Connections === 0),
      "a line with 0 connections",
      5000,
    );

    const docs = await waitUntil(() => (docsOf(broadcaster).length >= 3 ? docsOf(broadcaster) : undefined), "3 lines", 5000);
    expectDimensions(docs, "broadcaster");
    // Periodic: a line about every interval (1 s). Timers slip under load, so the mean gap is checked, not each one.
    const stamps = docs.map((d) => d._aws.Timestamp);
    const meanGap = (stamps.at(-1)! - stamps[0]!) / (stamps.length - 1);
    expect(meanGap).toBeGreaterThanOrEqual(750);
    expect(meanGap).toBeLessThan(3000);
  }, 30_000);

  it("the aggregator writes Leader 1 while it holds the lease, and Leader 0 as its last line after SIGTERM", async () => {
    await waitUntil(() => docsOf(aggregator).find((d) => d.Leader === 1 && "FoldMilliseconds" in d), "a line with Leader 1", 10_000);
    await aggregator.signal("SIGTERM");
    const docs = docsOf(aggregator);
    expectDimensions(docs, "aggregator");
    expect(metricsOf(docs[0]!)).toMatchObject({
      Leader: "Count",
      FoldErrors: "Count",
      PublishErrors: "Count",
      LeaseErrors: "Count",
      RedisReconnects: "Count",
    });
    expect(docs.at(-1)).toMatchObject({ Leader: 0 });
    expect(sumOf(docs, "PublishErrors")).toBe(0);
  }, 30_000);

  it("the broadcaster counts its reconnects when Redis goes away and comes back (the failover signal)", async () => {
    const seen = docsOf(broadcaster).length;
    expect(sumOf(docsOf(broadcaster), "RedisReconnects")).toBe(0);
    await server.restart();
    await waitUntil(
      () => (sumOf(docsOf(broadcaster).slice(seen), "RedisReconnects") >= 1 ? true : undefined),
      "a reconnect counted",
      10_000,
    );
  }, 30_000);
});

describe("choosing the ingest backend", () => {
  it("refuses a bad METRICS_NAMESPACE by name, on Lambda and off it", async () => {
    for (const env of [{ AWS_LAMBDA_FUNCTION_NAME: queueFunction }, {}]) {
      const err = await loadIngestMetrics({ ...env, METRICS_NAMESPACE: "has space" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'METRICS_NAMESPACE="has space": must be a CloudWatch namespace: 1-255 chars of [A-Za-z0-9_./#:-]',
      ]);
    }
  });
});
