// Views and rates on every live transport: the counter view stays under 200 bytes with 40 channels and 40 categories,
// the full view is unchanged, ETags and 304s are per view, ?hz=1 caps a viewer at about one frame a second with the latest value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import type { DimensionTotals, Snapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import { testConfig } from "./support/config.js";
import { nthFrame, openSse, openWs, sseStatus, upgradeStatus } from "./support/frame-clients.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;
let config: Config;
let broadcaster: Broadcaster;
let base: string;
let ws: string;
let seq = 0;

const counterKeys = ["campaign", "epoch", "seq", "at", "currency", "total", "count"];

/** 40 dimension names of the longest length ingest accepts (40 characters). */
function dimensions(prefix: string): Record<string, DimensionTotals> {
  return Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [
      `${prefix}-${String(i).padStart(2, "0")}`.padEnd(40, "x"),
      { total: "123456789012", count: 99999 },
    ]),
  );
}

function snapshot(): Snapshot {
  seq++;
  return {
    campaign: "views",
    epoch: "m3x9k2-a1b2c3",
    seq,
    at: new Date().toISOString(),
    currency: "KRW",
    total: String(74_300_000_000_000 + seq),
    count: 1_000_000 + seq,
    refunded: "1200000",
    refunds: 12,
    perMinute: { count: 60000, total: "3000000000" },
    channels: dimensions("channel"),
    categories: dimensions("category"),
    duplicates: 5,
    rejected: 2,
    foldMs: 0.8,
  };
}

async function publish(s: Snapshot): Promise<string> {
  const keys = campaignKeys(s.campaign, config.shards);
  const json = JSON.stringify(s);
  await redis.set(keys.latest, json);
  await redis.publish(keys.snapshots, json);
  return json;
}

async function latestTotalSeq(): Promise<number> {
  const res = await fetch(`${base}/v1/total?view=counter`);
  return ((await res.json()) as Snapshot).seq;
}

async function publishAndWait(): Promise<string> {
  const json = await publish(snapshot());
  const deadline = Date.now() + 3000;
  while ((await latestTotalSeq()) !== seq) {
    if (Date.now() > deadline) throw new Error("the broadcaster never got the snapshot");
    await new Promise((r) => setTimeout(r, 10));
  }
  return json;
}

function expectCounterOf(text: string, full: Snapshot): void {
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(200);
  const counter = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(counter)).toEqual(counterKeys);
  for (const key of counterKeys) expect(counter[key]).toEqual(full[key as keyof Snapshot]);
}

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "views", BROADCASTER_PORT: "0" });
  redis = createRedis(config, { name: "test" });
  broadcaster = await startBroadcaster({ config });
  base = `http://127.0.0.1:${broadcaster.port}`;
  ws = `ws://127.0.0.1:${broadcaster.port}`;
});

afterAll(async () => {
  await broadcaster?.close();
  await closeRedis(redis);
  await server?.stop();
});

describe("views", () => {
  it("GET /v1/total: the counter view is at most 200 bytes with 40 channels and 40 categories; the full view is the snapshot as published", async () => {
    const published = await publishAndWait();
    expect(Buffer.byteLength(published)).toBeGreaterThan(5000);
    const full = await fetch(`${base}/v1/total`);
    expect(await full.text()).toBe(published);
    const explicit = await fetch(`${base}/v1/total?view=full`);
    expect(await explicit.text()).toBe(published);
    const counter = await fetch(`${base}/v1/total?view=counter`);
    expect(counter.status).toBe(200);
    expect(counter.headers.get("cache-control")).toBe("public, max-age=1");
    expectCounterOf(await counter.text(), JSON.parse(published) as Snapshot);
  });

  it("gives each view its own ETag and answers 304 per view", async () => {
    await publishAndWait();
    const full = await fetch(`${base}/v1/total`);
    const counter = await fetch(`${base}/v1/total?view=counter`);
    await Promise.all([full.arrayBuffer(), counter.arrayBuffer()]);
    const fullTag = full.headers.get("etag")!;
    const counterTag = counter.headers.get("etag")!;
    expect(fullTag).toBe(`"m3x9k2-a1b2c3-${seq}"`);
    expect(counterTag).not.toBe(fullTag);
    const status = async (query: string, tag: string) => {
      const res = await fetch(`${base}/v1/total${query}`, { headers: { "If-None-Match": tag } });
      await res.arrayBuffer();
      return [res.status, res.headers.get("etag")];
    };
    expect(await status("?view=counter", counterTag)).toEqual([304, counterTag]);
    expect(await status("", fullTag)).toEqual([304, fullTag]);
    // A tag of one view never validates the other.
    expect(await status("?view=counter", fullTag)).toEqual([200, counterTag]);
    expect(await status("", counterTag)).toEqual([200, fullTag]);
  });

  it("WS /v1/live and GET /v1/stream send the same counter bytes as GET, and the full view unchanged", async () => {
    const published = await publishAndWait();
    const counterBody = await (await fetch(`${base}/v1/total?view=counter`)).text();
    const [wsCounter, wsFull, sseCounter, sseFull] = await Promise.all([
      openWs(`${ws}/v1/live?view=counter`),
      openWs(`${ws}/v1/live`),
      openSse(`${base}/v1/stream?view=counter`),
      openSse(`${base}/v1/stream?view=full`),
    ]);
    try {
      expect(await nthFrame(wsCounter, 1)).toBe(counterBody);
      expect(await nthFrame(sseCounter, 1)).toBe(counterBody);
      expect(await nthFrame(wsFull, 1)).toBe(published);
      expect(await nthFrame(sseFull, 1)).toBe(published);
      // And every frame after it: a new snapshot reaches each view in its own shape.
      const next = JSON.parse(await publish(snapshot())) as Snapshot;
      expectCounterOf(await nthFrame(wsCounter, 2), next);
      expectCounterOf(await nthFrame(sseCounter, 2), next);
      expect(JSON.parse(await nthFrame(wsFull, 2))).toEqual(next);
      expect(JSON.parse(await nthFrame(sseFull, 2))).toEqual(next);
    } finally {
      await Promise.all([wsCounter, wsFull, sseCounter, sseFull].map((f) => f.close()));
    }
  });

  it("answers an invalid view or hz with 400 and a code naming the parameter, on every transport", async () => {
    for (const [query, code] of [
      ["view=summary", "INVALID_VIEW"],
      ["view=counter&hz=0", "INVALID_HZ"],
      ["hz=11", "INVALID_HZ"],
      ["hz=2.5", "INVALID_HZ"],
      ["hz=abc", "INVALID_HZ"],
    ] as const) {
      const res = await fetch(`${base}/v1/total?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(code === "INVALID_VIEW" ? /^view / : /^hz /);
      expect(await upgradeStatus(`${ws}/v1/live?${query}`)).toBe(400);
      expect(await sseStatus(`${base}/v1/stream?${query}`)).toBe(400);
    }
  });
});

describe("rates", () => {
  it("a viewer that joins between publishes gets the latest snapshot once, then every later one once, on every rate", async () => {
    await publishAndWait();
    const urls = [`${ws}/v1/live?view=counter`, `${ws}/v1/live?view=counter`, `${ws}/v1/live?view=counter&hz=3`, `${ws}/v1/live?hz=4`];
    const viewers = [];
    for (const url of urls) viewers.push(await openWs(url)); // one by one: the second joins a group that has a member
    const sse = await openSse(`${base}/v1/stream?view=counter&hz=3`);
    const all = [...viewers, sse];
    try {
      await Promise.all(all.map((f) => nthFrame(f, 1)));
      // No publish for a second (a quiet sale, or the aggregators failing over): the catch-up timer has run many times.
      await new Promise((r) => setTimeout(r, 1000));
      for (const f of all) expect(f.texts.map((t) => (JSON.parse(t) as Snapshot).seq)).toEqual([seq]);
      for (let i = 0; i < 3; i++) {
        await publish(snapshot());
        await new Promise((r) => setTimeout(r, 400));
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const f of all) {
        const seqs = f.texts.map((t) => (JSON.parse(t) as Snapshot).seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs.at(-1)).toBe(seq);
      }
    } finally {
      await Promise.all(all.map((f) => f.close()));
    }
  });

  it("a viewer at hz=1 receives about one frame a second, and its last frame is the latest snapshot", async () => {
    await publishAndWait();
    const [wsSlow, sseSlow, wsFast] = await Promise.all([
      openWs(`${ws}/v1/live?view=counter&hz=1`),
      openSse(`${base}/v1/stream?view=counter&hz=1`),
      openWs(`${ws}/v1/live?view=counter`),
    ]);
    try {
      await Promise.all([nthFrame(wsSlow, 1), nthFrame(sseSlow, 1), nthFrame(wsFast, 1)]);
      const startedAt = Date.now();
      // 10 snapshots a second for 3 s, as the aggregator publishes them.
      for (let i = 0; i < 30; i++) {
        await publish(snapshot());
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (Date.now() - startedAt) / 1000;
      // The last one reaches the slow viewers within one interval plus a fold.
      await new Promise((r) => setTimeout(r, 1200));
      const latest = await (await fetch(`${base}/v1/total?view=counter`)).text();
      for (const slow of [wsSlow, sseSlow]) {
        const during = slow.times.filter((t) => t > startedAt).length;
        expect(during).toBeGreaterThanOrEqual(Math.floor(seconds) - 1);
        expect(during).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
        expect(slow.texts.at(-1)).toBe(latest);
        // Never two frames closer than one interval minus a quarter fold of jitter.
        const gaps = slow.times.slice(2).map((t, i) => t - slow.times[i + 1]!);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
      }
      // The default rate (10 Hz) gets nearly every snapshot.
      expect(wsFast.times.filter((t) => t > startedAt).length).toBeGreaterThanOrEqual(25);
      expect(wsFast.texts.at(-1)).toBe(latest);
    } finally {
      await Promise.all([wsSlow, sseSlow, wsFast].map((f) => f.close()));
    }
  });
});
