// Redis loses everything (FLUSHALL, as a restart without persistence) while no aggregator runs; a fresh aggregator
// (production settings: it never starts a campaign) then finds partial counters. Nothing below the mark is published:
// the broadcaster still holds the last snapshot and gives Redis back its epoch and mark, and the number stays (degraded).
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../core/redis.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { counterWriter } from "./support/counters.js";
import { LiveViewer, waitUntil } from "./support/live-viewer.js";
import { freePort, RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let config: Config;
let env: Record<string, string>;
let redis: RedisClient;
let subscriber: RedisClient;
let broadcasterPort: number;
const components: Component[] = [];
const published: Array<{ atMs: number; snapshot: Snapshot }> = [];

beforeAll(async () => {
  server = await RedisServer.start();
  broadcasterPort = await freePort();
  env = { REDIS_URL: server.url, CAMPAIGN: "flush", SHARDS: "8", FOLD_INTERVAL_MS: "100", HEARTBEAT_MS: "200", HOST: "127.0.0.1" };
  config = testConfig(env);
  redis = createRedis(config, { name: "test" });
  subscriber = createSubscriber(config, "test-sub");
  subscriber.on("message", (_c: string, json: string) => published.push({ atMs: Date.now(), snapshot: parseSnapshot(json) }));
  await subscriber.subscribe(campaignKeys(config.campaign, config.shards).snapshots);
  components.push(Component.start("aggregator/main.ts", env));
  components.push(Component.start("broadcaster/main.ts", { ...env, BROADCASTER_PORT: String(broadcasterPort) }));
}, 30000);

afterAll(async () => {
  await Promise.all(components.map((c) => c.stop()));
  await closeRedis(subscriber);
  await closeRedis(redis);
  await server?.stop();
});

const payments = (prefix: string, n: number): PaymentEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    paymentId: `${prefix}-${i}`,
    amount: 50_000,
    currency: "KRW",
    occurredAt: new Date().toISOString(),
    type: "payment",
    campaign: "flush",
    channel: undefined,
    category: undefined,
  }));

it("publishes nothing below the mark after FLUSHALL, whichever aggregator starts next", async () => {
  await waitUntil(
    () =>
      fetch(`http://127.0.0.1:${broadcasterPort}/readyz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    "the broadcaster ready",
    20000,
  );
  const viewer = new LiveViewer(`ws://127.0.0.1:${broadcasterPort}/v1/live`);
  await viewer.opened;
  const writer = counterWriter(redis, { shards: config.shards, dedupeTtlSeconds: 3600 });
  await writer.write(payments("before", 40));
  const shown = await viewer.waitFor((s) => s.total === "2000000", 10000);

  await components[0]!.signal("SIGKILL");
  await redis.flushall();
  const lostAtMs = Date.now();
  await writer.write(payments("after", 3)); // traffic goes on: partial counters, 150,000 of 2,150,000
  // The fresh aggregator runs as in production: CAMPAIGN_AUTOSTART off.
  const fresh = Component.start("aggregator/main.ts", { ...env, CAMPAIGN_AUTOSTART: "0" });
  components.push(fresh);
  await waitUntil(() => published.find((p) => p.atMs > lostAtMs), "a snapshot after the loss", 15000);
  await new Promise((r) => setTimeout(r, 1000));

  const after = published.filter((p) => p.atMs > lostAtMs).map((p) => p.snapshot);
  console.log(
    `flushall: ${after.length} snapshots published after the loss, all ${[...new Set(after.map((s) => s.total))].join("/")}; ` +
      `epoch ${after[0]?.epoch === shown.epoch ? "kept" : "changed"}`,
  );
  expect(after.length).toBeGreaterThanOrEqual(3);
  for (const s of after) {
    expect(BigInt(s.total)).toBeGreaterThanOrEqual(2_000_000n);
    expect(s.epoch).toBe(shown.epoch);
    expect(s.degraded).toBe(true);
  }
  for (const s of viewer.snapshots) expect(s.epoch).toBe(shown.epoch);
  const seen = viewer.snapshots.filter((s) => s.seq > shown.seq);
  expect(seen.length).toBeGreaterThan(0);
  for (const s of seen) expect(s.total).toBe("2000000");
  expect(fresh.output.join("")).not.toContain("campaign started");
  viewer.close();
}, 45000);
