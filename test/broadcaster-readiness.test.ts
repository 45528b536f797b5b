// Readiness and recovery end to end: aggregator -> Redis (AOF) -> broadcaster -> viewer, through a Redis crash and restart.
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import type { Snapshot } from "../core/snapshot.js";
import { countOneEvent } from "../core/store/reference.js";
import { testConfig } from "./support/config.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

const logger = createLogger("test", "silent");
let server: RedisServer;
let config: Config;
let redis: RedisClient;
let aggregator: Aggregator;
let broadcaster: Broadcaster;
let base: string;

interface Readyz {
  status: number;
  body: { status: string; reasons?: string[] };
}

async function readyz(): Promise<Readyz> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz["body"] };
}

const readyzWith = (status: number) => async () => {
  const r = await readyz();
  return r.status === status ? r : undefined;
};

beforeAll(async () => {
  // AOF keeps the epoch and seq through the crash, as a production Redis with persistence would.
  server = await RedisServer.start({ aof: true });
  config = testConfig({
    REDIS_URL: server.url,
    CAMPAIGN: "ready",
    SHARDS: "4",
    FOLD_INTERVAL_MS: "20",
    HEARTBEAT_MS: "200",
    BROADCASTER_PORT: "0",
  });
  redis = createRedis(config, { name: "test" });
  redis.on("error", () => undefined); // this test kills Redis on purpose
  aggregator = await startAggregator({ config, logger });
  broadcaster = await startBroadcaster({ config, logger });
  base = `http://127.0.0.1:${broadcaster.port}`;
});

afterAll(async () => {
  await broadcaster?.close();
  await aggregator?.stop();
  await closeRedis(redis);
  await server.stop();
});

it("pushes a counted payment from the aggregator to a viewer", async () => {
  const messages: Snapshot[] = [];
  const socket = new WebSocket(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
  socket.on("message", (data) => messages.push(JSON.parse(String(data)) as Snapshot));
  await new Promise((resolve) => socket.once("open", resolve));
  const first = await waitUntil(() => messages[0], "the current snapshot");
  expect(first.total).toBe("0");

  const event = {
    campaign: config.campaign,
    paymentId: "pay-1",
    amount: "74300000000",
    kind: "payment" as const,
    channel: "web",
    shard: 1,
  };
  await countOneEvent(redis, config.shards, 3600, event);
  const counted = await waitUntil(() => messages.find((m) => m.total === "74300000000"), "the counted payment", 2000);
  expect(counted.count).toBe(1);
  expect(counted.seq).toBeGreaterThan(first.seq);
  const closed = new Promise((resolve) => socket.once("close", resolve));
  socket.close();
  await closed;
});

it("goes unready when Redis dies and ready again after it restarts", async () => {
  await waitUntil(readyzWith(200), "ready");
  const seqBefore = ((await (await fetch(`${base}/v1/total`)).json()) as Snapshot).seq;

  await server.kill();
  const down = await waitUntil(readyzWith(503), "not ready after the crash");
  expect(down.body.status).toBe("not_ready");
  expect(down.body.reasons?.join("; ")).toMatch(/redis connection is|subscription is not active/);
  // The last snapshot is still served while Redis is down: viewers keep a value, readiness tells the balancer.
  expect((await fetch(`${base}/v1/total`)).status).toBe(200);

  await server.restart();
  const after = await waitUntil(
    async () => {
      const s = (await (await fetch(`${base}/v1/total`)).json()) as Snapshot;
      return s.seq > seqBefore ? s : undefined;
    },
    "a snapshot published after the restart",
    15000,
  );
  expect(after.total).toBe("74300000000");
  const up = await waitUntil(readyzWith(200), "ready after the restart");
  expect(up.body.status).toBe("ready");
  // Heartbeats keep arriving: the subscription itself is back, not only the reload of latest.
  await waitUntil(async () => {
    const s = (await (await fetch(`${base}/v1/total`)).json()) as Snapshot;
    return s.seq > after.seq + 1 || undefined;
  }, "heartbeats through the restored subscription");
});

it("goes unready when snapshots stop arriving", async () => {
  await waitUntil(readyzWith(200), "ready");
  await aggregator.stop();
  const stale = await waitUntil(readyzWith(503), "not ready once snapshots stop", 3000);
  expect(stale.body.reasons?.join("; ")).toMatch(/arrived \d+ ms ago/);
});
