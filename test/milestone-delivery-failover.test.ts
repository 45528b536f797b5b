// Milestone notifications survive a target outage and a leader crash (real processes): the webhook and the Lambda
// Invoke API are down for 15 s while milestones are crossed, the leading aggregator is SIGKILLed meanwhile, and when
// both come back the standby delivers every milestone, through fetch and through the real @aws-sdk/client-lambda.
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { type RunningLambdaApi, startLambdaApi } from "../ingest/local/lambda-invoke-api/server.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { counterWriter, payment } from "./support/counters.js";
import { waitUntil } from "./support/live-viewer.js";
import { type Delivery, DownableProxy, dedupe, milestoneRecorder, WebhookReceiver } from "./support/milestone-receivers.js";
import { freePort, RedisServer } from "./support/redis-server.js";

const campaign = "notify";
const step = 1000;
const downForMs = 15_000;
let server: RedisServer;
let redis: RedisClient;
let runtime: IngestRuntime;
let api: RunningLambdaApi;
let proxy: DownableProxy;
let webhook: WebhookReceiver;
const recorder = milestoneRecorder();
const aggregators: Component[] = [];
/** Each aggregator's /healthz and /metrics port (AGGREGATOR_PORT), by pid. */
const metricsPorts = new Map<number, number>();

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  webhook = await WebhookReceiver.start();
  runtime = createIngestRuntime(testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "8" }));
  api = await startLambdaApi({
    host: "127.0.0.1",
    port: 0,
    logger: runtime.logger,
    runtime,
    extraFunctions: { milestoneRecorder: recorder.handler },
  });
  // The aggregators reach the Invoke API through a proxy that can refuse connections, as a Lambda outage would.
  proxy = await DownableProxy.start(api.port);
  const env = {
    REDIS_URL: server.url,
    CAMPAIGN: campaign,
    SHARDS: "8",
    FOLD_INTERVAL_MS: "100",
    HEARTBEAT_MS: "200",
    MILESTONE_STEP: String(step),
    MILESTONE_WEBHOOK_URL: webhook.url,
    // An ARN (its region is used) resolved by the SDK's standard endpoint setting for Lambda.
    MILESTONE_FUNCTION: "arn:aws:lambda:us-east-1:123456789012:function:milestoneRecorder",
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${proxy.port}`,
    AWS_ACCESS_KEY_ID: "AKIDLOCAL",
    AWS_SECRET_ACCESS_KEY: "local-secret",
    AWS_REGION: "eu-west-1",
    MILESTONE_TIMEOUT_MS: "1000",
    MILESTONE_RETRY_BASE_MS: "200",
    MILESTONE_RETRY_MAX_MS: "1000",
  };
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const aggregator = Component.start("aggregator/main.ts", { ...env, HOST: "127.0.0.1", AGGREGATOR_PORT: String(port) });
    aggregators.push(aggregator);
    metricsPorts.set(aggregator.pid, port);
  }
}, 30000);

afterAll(async () => {
  await Promise.all(aggregators.map((a) => a.stop()));
  await proxy?.down();
  await api?.close();
  await webhook?.down();
  await closeRedis(runtime.redis);
  await closeRedis(redis);
  await server?.stop();
});

const leaderPid = async () => {
  const owner = await redis.get(campaignKeys(campaign, 8).leader);
  return owner === null ? undefined : Number(owner.split(":")[1]);
};
const writer = () => counterWriter(redis, { shards: 8, dedupeTtlSeconds: 3600 });
/** One payment of `step`: the total crosses the next threshold. */
async function crossNext(w: ReturnType<typeof writer>): Promise<void> {
  const event: PaymentEvent = {
    paymentId: String(payment().paymentId),
    amount: step,
    currency: "KRW",
    occurredAt: new Date().toISOString(),
    type: "payment",
    campaign,
    channel: undefined,
    category: undefined,
  };
  await w.write([event]);
}
const thresholdsOf = (deliveries: readonly Delivery[]) =>
  [...dedupe(deliveries).values()].map((d) => Number(d.body.threshold)).sort((a, b) => a - b);

it("delivers every milestone after a 15 s outage of both targets and a SIGKILLed leader, each key exactly once after dedupe", async () => {
  const w = writer();
  const firstLeader = await waitUntil(leaderPid, "a leader", 20000);
  await crossNext(w);
  await waitUntil(
    () => (thresholdsOf(webhook.received).length === 1 && thresholdsOf(recorder.received).length === 1 ? true : undefined),
    "milestone 1000 delivered",
    10000,
  );

  // Both targets go down; milestones 2000 and 3000 are crossed under the first leader, which is then SIGKILLed.
  await webhook.down();
  await proxy.down();
  const downAt = Date.now();
  await crossNext(w);
  await new Promise((r) => setTimeout(r, 1500));
  await crossNext(w);
  await new Promise((r) => setTimeout(r, 3000));
  const killed = aggregators.find((a) => a.pid === firstLeader)!;
  await killed.signal("SIGKILL");
  const standby = await waitUntil(
    async () => {
      const pid = await leaderPid();
      return pid !== undefined && pid !== firstLeader ? pid : undefined;
    },
    "the standby taking the lease",
    10000,
  );
  // The standby records 4000 and 5000 while the targets are still down.
  await crossNext(w);
  await new Promise((r) => setTimeout(r, 1500));
  await crossNext(w);
  const milestonesKey = campaignKeys(campaign, 8).milestones;
  await waitUntil(async () => ((await redis.hlen(milestonesKey)) === 5 ? true : undefined), "five milestones recorded", 10000);
  expect(webhook.received).toHaveLength(1);
  expect(recorder.received).toHaveLength(1);

  await new Promise((r) => setTimeout(r, Math.max(0, downAt + downForMs - Date.now())));
  await webhook.up();
  await proxy.up();
  const backAt = Date.now();
  const all = [1000, 2000, 3000, 4000, 5000];
  await waitUntil(
    () => (thresholdsOf(webhook.received).length === 5 && thresholdsOf(recorder.received).length === 5 ? true : undefined),
    "every milestone delivered to both targets",
    15000,
  );
  console.log(
    `milestones delivered ${Date.now() - backAt} ms after the targets came back; raw deliveries webhook ${webhook.received.length}, lambda ${recorder.received.length} for 5 milestones`,
  );

  for (const received of [webhook.received, recorder.received]) {
    // At least once, none missing; a receiver deduplicating by key sees each exactly once.
    expect(thresholdsOf(received)).toEqual(all);
    expect([...dedupe(received).keys()].sort()).toEqual(all.map((t) => `${campaign}:${t}`).sort());
    for (const d of received) {
      expect(d.body).toMatchObject({ type: "milestone", campaign, idempotencyKey: `${campaign}:${d.body.threshold}` });
      expect(BigInt(d.body.total)).toBeGreaterThanOrEqual(BigInt(d.body.threshold));
    }
  }
  // The webhook gets the key as a header too.
  for (const d of webhook.received) expect(d.header).toBe(d.body.idempotencyKey);
  // Both targets were down when the leader died: nothing was in flight, so nothing was sent twice.
  expect(webhook.received).toHaveLength(5);
  expect(recorder.received).toHaveLength(5);
  // Delivered by the standby, after the outage; the outbox is empty and every notification says delivered.
  expect(aggregators.find((a) => a.pid === standby)?.running).toBe(true);
  for (const d of [...webhook.received, ...recorder.received].filter((x) => x.body.threshold !== "1000"))
    expect(d.atMs).toBeGreaterThanOrEqual(backAt);
  const keys = campaignKeys(campaign, 8);
  expect(await redis.zcard(keys.outbox("webhook"))).toBe(0);
  expect(await redis.zcard(keys.outbox("function"))).toBe(0);
  const states = Object.values(await redis.hgetall(keys.notifications)).map((j) => JSON.parse(j) as { state: string; failures: number });
  expect(states).toHaveLength(10);
  expect(states.every((s) => s.state === "delivered")).toBe(true);
  expect(states.filter((s) => s.failures > 0).length).toBeGreaterThanOrEqual(8);

  // The standby's own /metrics (AGGREGATOR_PORT): the four milestones it delivered per target, its failed attempts,
  // and nothing left pending.
  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPorts.get(standby)}/metrics`)).text();
  const text = await waitUntil(
    async () => {
      const t = await metrics();
      return /notifications_pending\{target="webhook"\} 0/.test(t) && /notifications_pending\{target="function"\} 0/.test(t)
        ? t
        : undefined;
    },
    "the standby's pending gauges at 0",
    5000,
  );
  for (const target of ["webhook", "function"]) {
    expect(text).toMatch(new RegExp(`sales_aggregator_milestone_notifications_delivered_total\\{target="${target}"\\} 4\n`));
    expect(text).toMatch(new RegExp(`sales_aggregator_milestone_notification_failures_total\\{target="${target}"\\} [1-9]`));
  }
}, 60000);
