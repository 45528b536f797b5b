// Lost counter state: the aggregator notices and holds publishing; `reconcile --rebuild` restores exact totals under a new epoch.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { testConfig } from "./support/config.js";
import { counterWriter } from "./support/counters.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
let server: RedisServer;
let config: Config;
let redis: RedisClient;
let subscriber: RedisClient;
let aggregator: Aggregator;
let dir: string;
let exportFile: string;
const received: Snapshot[] = [];
const events: PaymentEvent[] = [];
let expected = 0n;
let payments = 0;

beforeAll(async () => {
  server = await RedisServer.start(); // no persistence: a restart loses every counter
  config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "recon", SHARDS: "8", FOLD_INTERVAL_MS: "50", HEARTBEAT_MS: "200" });
  redis = createRedis(config, { name: "test" });
  redis.on("error", () => undefined);
  subscriber = createSubscriber(config, "test-sub");
  subscriber.on("error", () => undefined);
  await subscriber.subscribe(campaignKeys(config.campaign, config.shards).snapshots);
  subscriber.on("message", (_c: string, json: string) => received.push(parseSnapshot(json)));
  aggregator = await startAggregator({ config });
  dir = mkdtempSync(join(tmpdir(), "sc-recon-"));
  exportFile = join(dir, "payments.jsonl");
  for (let i = 0; i < 3000; i++) {
    const refund = i % 20 === 19;
    const amount = 50_000 + i;
    if (!refund) payments++;
    expected += refund ? -BigInt(amount) : BigInt(amount);
    events.push({
      paymentId: `rc-${i}`,
      amount,
      currency: "KRW",
      occurredAt: new Date().toISOString(),
      type: refund ? "refund" : "payment",
      campaign: "recon",
      channel: "web",
      category: undefined,
    });
  }
  // The export repeats one line, as exports from retried webhooks do; it counts once.
  writeFileSync(exportFile, `${[...events, events[0]].map((e) => JSON.stringify(e)).join("\n")}\n`);
}, 30000);

afterAll(async () => {
  await aggregator?.stop();
  await closeRedis(subscriber);
  await closeRedis(redis);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function runReconcile(...args: string[]): Promise<{ code: number; stdout: string }> {
  return runCli(["--file", exportFile, "--no-progress", ...args]);
}

async function runCli(args: string[], campaign = "recon"): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "8", LOG_LEVEL: "silent" };
  try {
    const { stdout, stderr } = await exec(process.execPath, ["--import", "tsx", "reconcile/main.ts", ...args], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const exactSnapshot = (epoch?: string) => () =>
  received.find((s) => BigInt(s.total) === expected && s.count === payments && (epoch === undefined || s.epoch === epoch));

it("finds the counters equal to the export after ingest", async () => {
  await counterWriter(redis, { shards: config.shards, dedupeTtlSeconds: 3600 }).write(events);
  const first = await waitUntil(exactSnapshot(), "the exact snapshot", 5000);
  expect(first.epoch).toBe(aggregator.stats().epoch);
  const { code, stdout } = await runReconcile();
  expect(stdout).toContain("3001 lines, 3000 distinct events, 1 repeated, 0 invalid");
  expect(stdout).toContain("RESULT: counters match the export exactly");
  expect(code).toBe(0);
}, 30000);

it("keeps the last good number (degraded) after Redis loses its state and publishes the exact total under a new epoch after --rebuild", async () => {
  const oldEpoch = aggregator.stats().epoch;
  await server.restart(); // same port, no AOF: every key is gone
  const countAfterRestart = received.length;
  // The aggregator gives Redis back the epoch and mark it holds and republishes the last good snapshot, marked degraded:
  // viewers stay live on the number they saw; no zero or partial total goes out.
  const degraded = await waitUntil(() => received.slice(countAfterRestart).find((s) => s.degraded), "a degraded snapshot", 5000);
  expect(degraded).toMatchObject({ epoch: oldEpoch, total: expected.toString(), count: payments });
  await new Promise((r) => setTimeout(r, 600));
  for (const s of received.slice(countAfterRestart)) expect(BigInt(s.total)).toBe(expected);
  expect(aggregator.stats().degraded).toBe(true);
  expect(parseSnapshot((await redis.get(campaignKeys(config.campaign, config.shards).latest)) ?? "").degraded).toBe(true);

  const check = await runReconcile();
  expect(check.code).toBe(2);
  expect(check.stdout).toContain("missing from the counters (3000)");
  expect(check.stdout).toContain("RESULT: counters DIFFER");

  const rebuilt = await runReconcile("--rebuild");
  expect(rebuilt.stdout).toContain("Rebuilt: 3000 events counted");
  expect(rebuilt.stdout).toContain("RESULT: counters match the export exactly");
  expect(rebuilt.code).toBe(0);
  const after = await waitUntil(() => received.find((s) => s.epoch !== oldEpoch), "a snapshot under a new epoch", 5000);
  expect(BigInt(after.total)).toBe(expected);
  expect(after.count).toBe(payments);
  expect(after.degraded).toBeUndefined();
  expect(after.epoch > (oldEpoch ?? "")).toBe(true); // ordered after the one it replaces
  expect(aggregator.stats().epoch).toBe(after.epoch);
}, 40000);

it("republishes the last good total (degraded) when a shard's counters vanish under an intact epoch, until a rebuild", async () => {
  const oldEpoch = aggregator.stats().epoch;
  const keys = campaignKeys(config.campaign, config.shards);
  const latestBefore = parseSnapshot((await redis.get(keys.latest)) ?? "");
  await redis.del(keys.shard(3).counters); // as if one cluster master restarted empty
  await new Promise((r) => setTimeout(r, 600));
  const latest = parseSnapshot((await redis.get(keys.latest)) ?? "");
  expect(latest.seq).toBeGreaterThan(latestBefore.seq);
  expect(latest.degraded).toBe(true);
  expect(BigInt(latest.total)).toBe(expected);

  const rebuilt = await runReconcile("--rebuild");
  expect(rebuilt.code).toBe(0);
  const after = await waitUntil(
    () => received.find((s) => s.epoch !== oldEpoch && s.seq > latestBefore.seq),
    "a snapshot under a new epoch",
    5000,
  );
  expect(BigInt(after.total)).toBe(expected);
}, 40000);

it("--start-campaign writes a campaign's first epoch once, and refuses over counters that have no epoch", async () => {
  const keys = campaignKeys("fresh", config.shards);
  const first = await runCli(["--start-campaign"], "fresh");
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/Campaign fresh started: epoch \S+/);
  const epoch = await redis.hget(keys.meta, "epoch");
  expect(epoch).not.toBeNull();
  const again = await runCli(["--start-campaign"], "fresh");
  expect(again.stdout).toContain(`was already started: epoch ${epoch}`);
  expect(await redis.hget(keys.meta, "epoch")).toBe(epoch);

  // Counters without an epoch are what a Redis that lost its meta key looks like: only a rebuild may go on from there.
  const lost = campaignKeys("lost", config.shards);
  await redis.hset(lost.shard(0).counters, "net", 5000, "count", 1);
  const refused = await runCli(["--start-campaign"], "lost");
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("has no epoch but its counters hold 1 payments");
  expect(await redis.hget(lost.meta, "epoch")).toBeNull();
}, 30000);
