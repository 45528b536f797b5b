// ?campaign=<random> on every viewer route: each unknown name costs Redis at most one command per lookup interval,
// however many requests name it (counted by Redis itself, INFO commandstats). Real redis-server, real uWS, real sockets.
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import { createLogger } from "../core/logger.js";
import { testConfig } from "./support/config.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let broadcaster: Broadcaster;
let base: string;

/** Commands Redis has run so far, by name (INFO commandstats; the INFO calls themselves left out). */
async function commandCalls(): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await server.cli("info", "commandstats")).matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
    if (m[1] !== "info") calls.set(m[1]!, Number(m[2]));
  return calls;
}

function callsSince(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, n] of after) if (n - (before.get(name) ?? 0) > 0) delta[name] = n - (before.get(name) ?? 0);
  return delta;
}

/** The status a WebSocket upgrade to /v1/live gets (404 for an unknown campaign). */
function upgradeStatus(campaign: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${broadcaster.port}/v1/live?campaign=${campaign}`);
    socket.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("open", () => {
      resolve(101);
      socket.close();
    });
    socket.on("error", (err) => reject(err));
  });
}

beforeAll(async () => {
  server = await RedisServer.start();
  const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "live", SHARDS: "64", BROADCASTER_PORT: "0" });
  broadcaster = await startBroadcaster({ config, logger: createLogger("test", "silent") });
  base = `http://127.0.0.1:${broadcaster.port}`;
});
afterAll(async () => {
  await broadcaster?.close();
  await server?.stop();
});

it("answers a burst of 1,000 unknown campaign names with at most one Redis command per name", async () => {
  const names = Array.from({ length: 1000 }, (_, i) => `nosuch-${i}-${Math.random().toString(36).slice(2, 8)}`);
  const before = await commandCalls();
  const statuses: string[] = [];
  // 50 names at a time, each named by every route at once (and /v1/total twice), as a scraper or a flood would.
  for (let i = 0; i < names.length; i += 50) {
    const batch = names.slice(i, i + 50);
    const answers = await Promise.all(
      batch.flatMap((name) => [
        fetch(`${base}/v1/total?campaign=${name}`).then((r) => `total ${r.status}`),
        fetch(`${base}/v1/total?campaign=${name}`).then((r) => `total ${r.status}`),
        // Nothing recorded for a name nobody publishes: empty, as for a campaign not started yet.
        fetch(`${base}/v1/history?campaign=${name}`).then(async (r) => `history ${r.status} ${(await r.json()).points.length}`),
        fetch(`${base}/v1/milestones?campaign=${name}`).then(async (r) => `milestones ${r.status} ${(await r.json()).milestones.length}`),
        fetch(`${base}/v1/stream?campaign=${name}`).then((r) => `stream ${r.status}`),
        ...(i % 200 === 0 ? [upgradeStatus(name).then((status) => `live ${status}`)] : []),
      ]),
    );
    statuses.push(...answers);
  }
  const delta = callsSince(before, await commandCalls());
  expect(new Set(statuses)).toEqual(new Set(["total 404", "history 200 0", "milestones 200 0", "stream 404", "live 404"]));
  expect(statuses.length).toBe(1000 * 5 + 5 * 50);
  const total = Object.values(delta).reduce((a, b) => a + b, 0);
  // One MGET (latest and lease, one slot) per name; nothing else per name: no history or milestones read.
  expect(delta.mget ?? 0).toBeLessThanOrEqual(names.length);
  expect(total).toBeLessThanOrEqual(names.length + 10);
  expect(delta.hgetall).toBeUndefined();
  expect(delta.exists).toBeUndefined();
}, 60_000);
