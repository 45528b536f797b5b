// reconcile --rebuild while ingest keeps delivering: the shards are fenced (REBUILD_IN_PROGRESS, nothing counted), so
// deliveries during the rebuild count exactly once after it; a rebuild that died midway is found and resumed, and until
// then the aggregators (the one that led, and one started after it) publish only the last good number, degraded.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { CountersFencedError, openStore, type Store } from "../core/store/index.js";
import { campaignKeys } from "../core/store/keys.js";
import { CounterWriter } from "../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { handlePaymentsRequest } from "../ingest/domain/payments-request.js";
import { createIngestRuntime } from "../ingest/domain/runtime.js";
import { reconcile } from "../reconcile/compare.js";
import { rebuildCounters } from "../reconcile/rebuild.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
let server: RedisServer;
let redis: RedisClient;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});
afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

function exportOf(campaign: string, n: number): PaymentEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    paymentId: `${campaign}-${i}`,
    amount: 10_000 + i,
    currency: "KRW",
    occurredAt: "2020-11-27T00:00:00Z",
    type: i % 10 === 9 ? "refund" : "payment",
    campaign,
    channel: i % 2 ? "app" : "web",
    category: undefined,
  }));
}

function setup(campaign: string): { config: Config; store: Store; events: PaymentEvent[] } {
  const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "8" });
  return { config, store: openStore(redis, config), events: exportOf(campaign, 3000) };
}

async function expectExact(store: Store, campaign: string, events: PaymentEvent[]): Promise<void> {
  const byId = new Map(events.map((e) => [e.paymentId, e]));
  const result = reconcile(byId, await store.dedupeMarks.read(campaign), await store.totals.read(campaign));
  expect(result.missing).toEqual([]);
  expect(result.extra).toEqual([]);
  expect(result.counters).toEqual(result.expected);
  expect(result.matches).toBe(true);
}

it("fences ingest during a rebuild, so deliveries made meanwhile count exactly once after it", async () => {
  const { config, store, events } = setup("fenced");
  await new CounterWriter(store.counters).write(events.slice(0, 1500)); // half counted, then state partly lost
  await store.snapshots.startCampaign(config.campaign, "before");
  // A second ingest process keeps delivering the whole export (first deliveries and redeliveries) during the rebuild.
  const ingestRedis = createRedis(config, { name: "ingest" });
  const ingest = new CounterWriter(openStore(ingestRedis, config).counters, { maxBatchEvents: 50 });
  let rebuilding = true;
  let refused = 0;
  const deliveries = (async () => {
    while (rebuilding)
      for (let i = 0; i < events.length && rebuilding; i += 50)
        await ingest.write(events.slice(i, i + 50)).catch((err: unknown) => {
          if (!(err instanceof CountersFencedError)) throw err;
          refused++;
        });
  })();
  const result = await rebuildCounters(store, config, events);
  rebuilding = false;
  await deliveries;
  // Every delivery refused during the rebuild is retried, as its sender (SQS, Kinesis, an HTTP client) would.
  const retried = await ingest.write(events);
  await closeRedis(ingestRedis);

  expect(refused).toBeGreaterThan(0);
  expect(result.counted).toBe(3000);
  expect(result.previousEpoch).toBe("before");
  expect(retried.every((o) => o === "duplicate")).toBe(true);
  await expectExact(store, config.campaign, events);
  expect((await store.snapshots.readState(config.campaign)).epoch).toBe(result.epoch);
  const fences = await Promise.all(campaignKeys(config.campaign, 8).shardCounters.map((k) => redis.hget(k, "fence")));
  expect(fences.every((f) => f === null)).toBe(true);
}, 30_000);

it("leaves a rebuild that died midway fenced and in its old epoch (the last good number, degraded), and finishes it when run again", async () => {
  const { config, store, events } = setup("resume");
  await new CounterWriter(store.counters).write(events);
  await store.snapshots.startCampaign(config.campaign, "original");
  // An aggregator publishes the exact total before the rebuild; what it and a freshly started one publish after the
  // rebuild died midway is watched on the campaign's channel.
  const published: Array<{ atMs: number; snapshot: Snapshot }> = [];
  const subscriber = createSubscriber(config, "test-sub");
  subscriber.on("message", (_c: string, json: string) => published.push({ atMs: Date.now(), snapshot: parseSnapshot(json) }));
  await subscriber.subscribe(campaignKeys(config.campaign, 8).snapshots);
  const env = { REDIS_URL: server.url, CAMPAIGN: "resume", SHARDS: "8", FOLD_INTERVAL_MS: "100", HEARTBEAT_MS: "200" };
  const aggregators = [Component.start("aggregator/main.ts", env)];
  const exact = await store.totals.read(config.campaign);
  const good = await waitUntil(() => published.find((p) => p.snapshot.total === String(exact.net))?.snapshot, "the exact total", 15000);
  const dir = mkdtempSync(join(tmpdir(), "sc-resume-"));
  const file = join(dir, "payments.jsonl");
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  try {
    // The process dies after replaying the first 1,000 events.
    const died = rebuildCounters(store, config, events, (replayed) => {
      if (replayed >= 1000) throw new Error("killed midway");
    });
    await expect(died).rejects.toThrow("killed midway");
    const diedAtMs = Date.now();
    // The aggregator that led is replaced by one with no memory: neither publishes 0 or the partial replay, only the
    // last good number, degraded, in the old epoch.
    await aggregators[0]!.signal("SIGKILL");
    aggregators.push(Component.start("aggregator/main.ts", env));
    await waitUntil(
      () => (published.filter((p) => p.atMs > diedAtMs + 3000).length > 0 ? true : undefined),
      "publishes after the death",
      20000,
    );
    const afterDeath = published.filter((p) => p.atMs > diedAtMs).map((p) => p.snapshot);
    // (The wait above saw a publish 3 s after the death: the killed leader published none of those, the new one did.)
    expect(afterDeath.length).toBeGreaterThan(0);
    for (const snapshot of afterDeath) {
      expect(snapshot).toMatchObject({ total: good.total, count: good.count, epoch: "original", degraded: true });
      expect(snapshot.seq).toBeGreaterThan(good.seq);
    }
    const during = await store.snapshots.readState(config.campaign);
    expect(during.epoch).toBe("original");
    expect(during.rebuilding).toBeDefined();
    expect(await store.rebuild.unfinished(config.campaign)).toMatchObject({ previousEpoch: "original" });
    // Ingest counts nothing meanwhile: HTTP answers 503 REBUILD_IN_PROGRESS (retry-after), and nothing is written.
    const runtime = createIngestRuntime(config, redis);
    const body = JSON.stringify({
      paymentId: "during-1",
      amount: 500,
      currency: "KRW",
      occurredAt: "2020-11-27T00:00:00Z",
      campaign: "resume",
    });
    const answer = await handlePaymentsRequest(runtime, { method: "POST", path: "/v1/payments", headers: {}, rawBody: body });
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error.code).toBe("REBUILD_IN_PROGRESS");
    expect(answer.headers["retry-after"]).toBe("1");

    const cliEnv = { ...process.env, ...env, LOG_LEVEL: "silent" };
    const cli = (...args: string[]) =>
      exec(process.execPath, ["--import", "tsx", "reconcile/main.ts", "--file", file, "--no-progress", ...args], {
        cwd: root,
        env: cliEnv,
      }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
    expect((await cli()).stdout).toContain("has not finished: ingest is fenced (REBUILD_IN_PROGRESS)");
    const resumed = await cli("--rebuild");
    expect(resumed.stdout).toContain("Resuming it.");
    expect(resumed.stdout).toMatch(/Rebuilt: 3000 events counted, .* epoch original -> \S+ \(finished the rebuild started at /);
    expect(resumed.stdout).toContain("RESULT: counters match the export exactly");

    const after = await store.snapshots.readState(config.campaign);
    expect(after.epoch).toBeDefined();
    expect(after.epoch).not.toBe("original");
    expect(after.rebuilding).toBeUndefined();
    expect(await store.rebuild.unfinished(config.campaign)).toBeUndefined();
    await expectExact(store, config.campaign, events);
    // Ingest counts again: the payment refused during the rebuild is counted once when its sender retries.
    const retry = await handlePaymentsRequest(runtime, { method: "POST", path: "/v1/payments", headers: {}, rawBody: body });
    expect(JSON.parse(retry.body)).toMatchObject({ accepted: 1, duplicates: 0 });
    // The aggregator adopts the new epoch and publishes live figures again: the exact total plus the retried payment.
    const live = await waitUntil(
      () => published.find((p) => p.snapshot.epoch === after.epoch && p.snapshot.degraded !== true)?.snapshot,
      "a live snapshot of the new epoch",
      15000,
    );
    expect(BigInt(live.total)).toBeGreaterThanOrEqual(BigInt(good.total));
  } finally {
    await Promise.all(aggregators.map((a) => a.stop()));
    await closeRedis(subscriber);
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
