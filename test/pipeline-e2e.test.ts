import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Snapshot } from "../core/snapshot.js";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { testConfig } from "./support/config.js";
import { payment } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let runtime: IngestRuntime;
let gateway: RunningGateway;
let aggregator: Aggregator;
let broadcaster: Broadcaster;

beforeAll(async () => {
  server = await RedisServer.start();
  const config = testConfig({
    REDIS_URL: server.url,
    CAMPAIGN: "e2e",
    SHARDS: "16",
    HEARTBEAT_MS: "60000",
    INGEST_PORT: "0",
    BROADCASTER_PORT: "0",
  });
  runtime = createIngestRuntime(config);
  gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  aggregator = await startAggregator({ config });
  broadcaster = await startBroadcaster({ config });
});
afterAll(async () => {
  await broadcaster?.close();
  await aggregator?.stop();
  await gateway?.close();
  runtime?.redis.disconnect();
  await server?.stop();
});

/** Resolves with the first snapshot from the socket that satisfies the predicate. */
function nextSnapshot(ws: WebSocket, predicate: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching snapshot within ${timeoutMs} ms`)), timeoutMs);
    ws.on("message", (data) => {
      const snapshot = JSON.parse(String(data)) as Snapshot;
      if (predicate(snapshot)) {
        clearTimeout(timer);
        resolve(snapshot);
      }
    });
  });
}

describe("pipeline end to end", () => {
  it("delivers a posted payment's exact total to a WebSocket viewer within 1 s", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    const first = await nextSnapshot(ws, () => true, 5000);
    expect(first.campaign).toBe("e2e");
    const base = BigInt(first.total);

    // Amounts past 2^53 in sum: 10 payments of 10^12 minus a refund, and a duplicate delivery.
    const events = Array.from({ length: 10 }, () => payment({ amount: 1_000_000_000_000, channel: "app" }));
    const refund = payment({ amount: 250_000, type: "refund" });
    const expected = base + 10n * 1_000_000_000_000n - 250_000n;

    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [...events, refund, events[0]] }),
    });
    expect(await res.json()).toEqual({ accepted: 11, duplicates: 1, rejected: [] });
    const seen = await nextSnapshot(ws, (s) => BigInt(s.total) === expected, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen.count).toBe(first.count + 10);
    expect(seen.refunded).toBe((BigInt(first.refunded) + 250_000n).toString());
    expect(seen.seq).toBeGreaterThan(first.seq);
    expect(seen.currency).toBe("KRW");
    ws.close();
  });

  it("serves GET /v1/total with an ETag and answers If-None-Match with 304", async () => {
    const url = `http://127.0.0.1:${broadcaster.port}/v1/total`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"/);
    expect(res.headers.get("cache-control")).toContain("max-age=1");
    const body = (await res.json()) as Snapshot;
    expect(body.campaign).toBe("e2e");
    const again = await fetch(url, { headers: { "if-none-match": etag! } });
    // HEARTBEAT_MS is 60 s here, so no newer snapshot is published in between.
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });
});
