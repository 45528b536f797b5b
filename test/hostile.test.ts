// Hostile input against real servers: slowloris, a flooding WebSocket client, the connection cap, stale signatures; a viewer is unaffected.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { sign } from "../ingest/domain/signature.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { testConfig } from "./support/config.js";
import { payment } from "./support/counters.js";
import { LiveViewer } from "./support/live-viewer.js";
import { RedisServer } from "./support/redis-server.js";

const secret = "hostile-test-secret-0123456789";
let server: RedisServer;
let config: Config;
let redis: RedisClient;
let runtime: IngestRuntime;
let gateway: RunningGateway;
let aggregator: Aggregator;
let broadcaster: Broadcaster;
let viewer: LiveViewer;

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({
    REDIS_URL: server.url,
    CAMPAIGN: "hostile",
    SHARDS: "4",
    FOLD_INTERVAL_MS: "50",
    HEARTBEAT_MS: "200",
    BROADCASTER_PORT: "0",
    MAX_CONNECTIONS: "4",
    INGEST_SECRET: secret,
  });
  redis = createRedis(config, { name: "test" });
  runtime = createIngestRuntime(config);
  gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  aggregator = await startAggregator({ config });
  broadcaster = await startBroadcaster({ config });
  // The well-behaved viewer: it must keep receiving every change through all the abuse below.
  viewer = new LiveViewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
  await viewer.opened;
}, 30000);

afterAll(async () => {
  viewer?.close();
  await broadcaster?.close();
  await aggregator?.stop();
  await gateway?.close();
  runtime?.redis.disconnect();
  await closeRedis(redis);
  await server?.stop();
});

/** Posts events signed at `signedAtSeconds` (unix seconds), or unsigned when undefined. */
async function post(events: unknown[], signedAtSeconds: number | undefined): Promise<Response> {
  const body = JSON.stringify({ events });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signedAtSeconds !== undefined) headers["x-signature"] = sign(secret, body, signedAtSeconds);
  return fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
    method: "POST",
    headers,
    body,
  });
}
const now = () => Math.floor(Date.now() / 1000);

/** Opens a raw TCP connection and dribbles an HTTP request that never completes; resolves the ms until the server hangs up. */
function slowloris(port: number, maxMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write("GET /v1/total HTTP/1.1\r\nHost: x\r\n"));
    const drip = setInterval(() => socket.write("X-a: b\r\n"), 1000);
    const give = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`still connected after ${maxMs} ms`));
    }, maxMs);
    const done = () => {
      clearInterval(drip);
      clearTimeout(give);
      resolve(Date.now() - started);
    };
    socket.on("close", done);
    socket.on("error", () => undefined);
  });
}

it("rejects a signature older than 5 minutes and accepts a fresh one", async () => {
  const stale = await post([payment({ amount: 1 })], now() - 301);
  expect(stale.status).toBe(401);
  expect(JSON.stringify(await stale.json())).toContain("SIGNATURE_EXPIRED");
  const unsigned = await post([payment({ amount: 1 })], undefined);
  expect(unsigned.status).toBe(401);

  const fresh = await post([payment({ amount: 700 })], now());
  expect(await fresh.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  await viewer.waitFor((s) => s.total === "700", 3000);
});

it("refuses connections over MAX_CONNECTIONS with a clear 503 and closes a flooding client", async () => {
  const url = `ws://127.0.0.1:${broadcaster.port}/v1/live`;
  const extra = [new LiveViewer(url), new LiveViewer(url), new LiveViewer(url)];
  await Promise.all(extra.map((v) => v.opened)); // 1 + 3 = the cap of 4

  const refused = await new Promise<{ status: number; body: string }>((resolve) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += String(d)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => undefined);
  });
  expect(refused.status).toBe(503);
  expect(refused.body).toContain("TOO_MANY_CONNECTIONS");
  for (const v of extra) v.close();

  // A client that sends instead of listening is cut off (close code 1008), without touching the other viewer.
  await new Promise((r) => setTimeout(r, 200));
  const flooder = new WebSocket(url);
  await new Promise((resolve) => flooder.once("open", resolve));
  const closed = new Promise<number>((resolve) => flooder.once("close", (code) => resolve(code)));
  for (let i = 0; i < 200 && flooder.readyState === WebSocket.OPEN; i++) flooder.send("spam");
  expect(await closed).toBe(1008);
});

it("cuts off slowloris connections on the broadcaster and the ingest gateway while the viewer keeps getting updates", async () => {
  const cut = await Promise.all([slowloris(broadcaster.port, 25000), slowloris(gateway.port, 25000)]);
  console.log(`slowloris cut after ${cut.join(" ms and ")} ms (broadcaster, gateway)`);

  const res = await post([payment({ amount: 300 })], now());
  expect(res.status).toBe(200);
  const seen = await viewer.waitFor((s) => s.total === "1000", 3000);
  expect(seen.count).toBe(2);
  expect(viewer.regressions).toEqual([]);
  const keys = campaignKeys(config.campaign, config.shards);
  expect(await redis.exists(keys.latest)).toBe(1);
}, 40000);
