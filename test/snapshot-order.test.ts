// Epochs are ordered: a snapshot of an earlier epoch (a late delivery from before a rebuild) never replaces one of a later
// epoch, whatever its seq, in a broadcaster (WS, SSE, GET) or in the ordering rule every client shares.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { compareEpochs, type Snapshot, supersedes } from "../core/snapshot.js";
import { newEpochId } from "../core/store/index.js";
import { campaignKeys } from "../core/store/keys.js";
import { testConfig } from "./support/config.js";
import { waitUntil } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;
let config: Config;
let broadcaster: Broadcaster;

const before = newEpochId(new Date("2026-11-27T00:00:00Z"));
const rebuilt = newEpochId(new Date("2026-11-27T01:00:00Z"), before);

function snapshot(epoch: string, seq: number, total: string): Snapshot {
  return {
    campaign: "order",
    epoch,
    seq,
    at: new Date().toISOString(),
    currency: "KRW",
    total,
    count: 1,
    refunded: "0",
    refunds: 0,
    perMinute: { count: 0, total: "0" },
    channels: {},
    categories: {},
    duplicates: 0,
    rejected: 0,
    foldMs: 1,
  };
}

async function publish(s: Snapshot): Promise<void> {
  const keys = campaignKeys(s.campaign, config.shards);
  await redis.set(keys.latest, JSON.stringify(s));
  await redis.publish(keys.snapshots, JSON.stringify(s));
}

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "order", BROADCASTER_PORT: "0" });
  redis = createRedis(config, { name: "test" });
  broadcaster = await startBroadcaster({ config, logger: createLogger("test", "silent") });
});

afterAll(async () => {
  await broadcaster?.close();
  await closeRedis(redis);
  await server.stop();
});

describe("the ordering rule (core/snapshot.ts)", () => {
  it("orders epochs by creation, and a rebuild's epoch after the one it replaces even from a clock behind", () => {
    expect(compareEpochs(before, rebuilt)).toBeLessThan(0);
    const fromSlowClock = newEpochId(new Date("2020-01-01T00:00:00Z"), rebuilt);
    expect(compareEpochs(fromSlowClock, rebuilt)).toBeGreaterThan(0);
    expect(supersedes(snapshot(before, 999, "9"), snapshot(rebuilt, 1, "1"))).toBe(false);
    expect(supersedes(snapshot(rebuilt, 1, "1"), snapshot(before, 999, "9"))).toBe(true);
    expect(supersedes(snapshot(rebuilt, 2, "1"), snapshot(rebuilt, 2, "1"))).toBe(false);
    expect(supersedes(snapshot(rebuilt, 3, "1"), snapshot(rebuilt, 2, "1"))).toBe(true);
  });
});

describe("a broadcaster", () => {
  it("keeps the later epoch when a late snapshot of an earlier one arrives with a higher seq", async () => {
    const base = `http://127.0.0.1:${broadcaster.port}`;
    await publish(snapshot(rebuilt, 5, "7000"));
    await waitUntil(async () => ((await fetch(`${base}/v1/total`)).ok ? true : undefined), "the first snapshot");
    const messages: Snapshot[] = [];
    const socket = new WebSocket(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    socket.on("message", (data) => messages.push(JSON.parse(String(data)) as Snapshot));
    await new Promise((resolve) => socket.once("open", resolve));
    await waitUntil(() => messages[0], "the current snapshot");

    await publish(snapshot(before, 999_999, "9000")); // from before the rebuild, delivered late
    await publish(snapshot(rebuilt, 6, "7100"));
    await waitUntil(() => messages.find((m) => m.seq === 6), "the next snapshot of the later epoch");
    expect(messages.map((m) => m.epoch)).toEqual([rebuilt, rebuilt]);
    const total = (await (await fetch(`${base}/v1/total`)).json()) as Snapshot;
    expect(total).toMatchObject({ epoch: rebuilt, seq: 6, total: "7100" });
    socket.close();
  });
});
