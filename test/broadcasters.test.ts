// Many broadcasters as child processes: both serve the same snapshots, each resubscribes on its own after a Redis crash.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import type { Snapshot } from "../core/snapshot.js";
import { countOneEvent } from "../core/store/reference.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { LiveViewer, waitUntil } from "./support/live-viewer.js";
import { freePort, RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let config: Config;
let redis: RedisClient;
let aggregator: Aggregator;
const broadcasters: Array<{ process: Component; port: number }> = [];

beforeAll(async () => {
  server = await RedisServer.start({ aof: true });
  const env = { REDIS_URL: server.url, CAMPAIGN: "many", SHARDS: "4", FOLD_INTERVAL_MS: "50", HEARTBEAT_MS: "200", HOST: "127.0.0.1" };
  config = testConfig(env);
  redis = createRedis(config, { name: "test" });
  redis.on("error", () => undefined); // Redis is killed on purpose
  aggregator = await startAggregator({ config });
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    broadcasters.push({ process: Component.start("broadcaster/main.ts", { ...env, BROADCASTER_PORT: String(port) }), port });
  }
}, 30000);

afterAll(async () => {
  await Promise.all(broadcasters.map((b) => b.process.stop()));
  await aggregator?.stop();
  await closeRedis(redis);
  await server?.stop();
});

async function readyz(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  } catch {
    return undefined;
  }
}
const allReadyz = (status: number) => async () =>
  (await Promise.all(broadcasters.map((b) => readyz(b.port)))).every((s) => s === status) ? true : undefined;

async function count(paymentId: string, amount: number): Promise<void> {
  const event = { campaign: config.campaign, paymentId, amount, kind: "payment" as const, shard: 0 };
  expect(await countOneEvent(redis, config.shards, 3600, event)).toBe(1);
}

it("serves the same snapshots from two broadcasters, goes unready while Redis is down and resubscribes by itself", async () => {
  await waitUntil(allReadyz(200), "both broadcasters ready", 20000);
  const viewers = broadcasters.map((b) => new LiveViewer(`ws://127.0.0.1:${b.port}/v1/live`));
  await Promise.all(viewers.map((v) => v.opened));
  await count("many-1", 4_000);
  const before = await Promise.all(viewers.map((v) => v.waitFor((s) => s.total === "4000", 3000)));
  expect(before[0]?.seq).toBe(before[1]?.seq); // the same snapshot, not two folds

  await server.kill();
  await waitUntil(allReadyz(503), "both broadcasters not ready while Redis is dead", 10000);
  await new Promise((r) => setTimeout(r, 500));
  await server.restart();
  await waitUntil(allReadyz(200), "both broadcasters ready again", 20000);

  // A payment counted after the restart reaches viewers of both: each subscription is live again.
  await count("many-2", 6_000);
  const after = await Promise.all(viewers.map((v) => v.waitFor((s) => s.total === "10000", 5000)));
  expect(after.map((s: Snapshot) => s.count)).toEqual([2, 2]);
  for (const v of viewers) {
    expect(v.regressions).toEqual([]);
    v.close();
  }
}, 55000);

it("closes a broadcaster gracefully on SIGTERM while the other keeps serving", async () => {
  const [first, second] = broadcasters;
  if (!first || !second) throw new Error("two broadcasters expected");
  first.process.child.kill("SIGTERM");
  expect(await first.process.exited).toBe(0);
  expect(await readyz(first.port)).toBeUndefined();
  const res = await fetch(`http://127.0.0.1:${second.port}/v1/total`);
  expect(((await res.json()) as Snapshot).total).toBe("10000");
});
