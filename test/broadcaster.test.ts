// The broadcaster on a real uWS port and a real redis-server: WS fan-out, GET with ETag/304, seq ordering, flood control, limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import type { Snapshot } from "../core/snapshot.js";
import { campaignKeys } from "../core/store/keys.js";
import { testConfig } from "./support/config.js";
import { RedisServer } from "./support/redis-server.js";
import { pinnedUws } from "./support/uws-packages.js";

const logger = createLogger("test", "silent");
let server: RedisServer;
let redis: RedisClient;
let config: Config;
let broadcaster: Broadcaster;
let base: string;

function snapshot(campaign: string, epoch: string, seq: number, total: string): Snapshot {
  return {
    campaign,
    epoch,
    seq,
    at: new Date().toISOString(),
    currency: "KRW",
    total,
    count: seq,
    refunded: "0",
    refunds: 1,
    perMinute: { count: 0, total: "0" },
    channels: {},
    categories: {},
    duplicates: 2,
    rejected: 3,
    foldMs: 1.5,
  };
}

/** What the publish script does: SET latest, then PUBLISH on the campaign's channel. */
async function publish(s: Snapshot): Promise<void> {
  const keys = campaignKeys(s.campaign, config.shards);
  const json = JSON.stringify(s);
  await redis.set(keys.latest, json);
  await redis.publish(keys.snapshots, json);
}

/** A ws viewer that records every message and its close code. */
class Viewer {
  readonly messages: Snapshot[] = [];
  closeCode: number | undefined;
  readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (data) => this.messages.push(JSON.parse(String(data)) as Snapshot));
    this.socket.on("close", (code) => {
      this.closeCode = code;
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
  }

  async nth(n: number, timeoutMs = 3000): Promise<Snapshot> {
    return waitFor(() => this.messages[n - 1], `message ${n}`, timeoutMs);
  }

  /** Resolves once the close handshake is done, so the server has counted the connection as gone. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once("close", resolve));
    this.socket.close();
    await closed;
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function totalSeq(campaign = config.campaign): Promise<number | undefined> {
  const res = await fetch(`${base}/v1/total?campaign=${campaign}`);
  return res.status === 200 ? ((await res.json()) as Snapshot).seq : undefined;
}

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "live", BROADCASTER_PORT: "0" });
  redis = createRedis(config, { name: "test" });
  broadcaster = await startBroadcaster({ config, logger });
  base = `http://127.0.0.1:${broadcaster.port}`;
});

afterAll(async () => {
  await broadcaster?.close();
  await closeRedis(redis);
  await server.stop();
});

describe("GET /v1/total", () => {
  it("answers 503 NO_SNAPSHOT before the first snapshot", async () => {
    const res = await fetch(`${base}/v1/total`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: "NO_SNAPSHOT", message: expect.stringContaining("live") } });
  });

  it("serves the latest snapshot with an ETag and answers 304 to If-None-Match", async () => {
    await publish(snapshot("live", "e1", 1, "1000"));
    await waitFor(() => totalSeq(), "the first snapshot");
    const res = await fetch(`${base}/v1/total`);
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"e1-1"');
    expect(res.headers.get("cache-control")).toBe("public, max-age=1");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toMatchObject({ campaign: "live", epoch: "e1", seq: 1, total: "1000" });

    const cached = await fetch(`${base}/v1/total`, { headers: { "If-None-Match": '"e1-1"' } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe('"e1-1"');
    const stale = await fetch(`${base}/v1/total`, { headers: { "If-None-Match": '"e1-0"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it("looks up another campaign on first request, and rejects unknown and invalid names", async () => {
    await redis.set(campaignKeys("other", config.shards).latest, JSON.stringify(snapshot("other", "x", 4, "44")));
    const other = await fetch(`${base}/v1/total?campaign=other`);
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ campaign: "other", seq: 4, total: "44" });

    const unknown = await fetch(`${base}/v1/total?campaign=nosuch`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("UNKNOWN_CAMPAIGN");

    const invalid = await fetch(`${base}/v1/total?campaign=${encodeURIComponent("bad name!")}`);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("INVALID_CAMPAIGN");
  });

  it("answers unknown routes with a 404 JSON error", async () => {
    const res = await fetch(`${base}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "no route for GET /v1/nothing" } });
  });
});

describe("WS /v1/live", () => {
  it("sends the current snapshot on open, then each new one", async () => {
    const before = (await totalSeq()) ?? 0;
    const viewer = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    await viewer.opened;
    expect((await viewer.nth(1)).seq).toBe(before);
    await publish(snapshot("live", "e1", before + 1, "2000"));
    expect(await viewer.nth(2)).toMatchObject({ seq: before + 1, total: "2000" });
    await viewer.close();
  });

  it("ignores a lower seq in the same epoch and accepts a new epoch", async () => {
    const viewer = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    await viewer.opened;
    await viewer.nth(1);
    await publish(snapshot("live", "e1", 10, "10000"));
    await viewer.nth(2);
    await publish(snapshot("live", "e1", 9, "9000"));
    await publish(snapshot("live", "e2", 1, "1"));
    expect(await viewer.nth(3)).toMatchObject({ epoch: "e2", seq: 1 });
    expect(viewer.messages.map((m) => `${m.epoch}-${m.seq}`)).not.toContain("e1-9");
    expect(await totalSeq()).toBe(1);
    await viewer.close();
  });

  it("closes a flooding client with 1008 while another keeps receiving", async () => {
    const flooder = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    const quiet = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    await Promise.all([flooder.opened, quiet.opened]);
    for (let i = 0; i < 30; i++) flooder.socket.send("hello");
    expect(await waitFor(() => flooder.closeCode, "the flooder to be closed")).toBe(1008);
    await publish(snapshot("live", "e2", 2, "2"));
    expect(await quiet.nth(2)).toMatchObject({ epoch: "e2", seq: 2 });
    expect(quiet.closeCode).toBeUndefined();
    await quiet.close();
  });

  it("serves another campaign's viewers from its own topic", async () => {
    const viewer = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live?campaign=other`);
    await viewer.opened;
    expect(await viewer.nth(1)).toMatchObject({ campaign: "other", seq: 4 });
    await publish(snapshot("live", "e2", 3, "3"));
    await publish(snapshot("other", "x", 5, "55"));
    expect(await viewer.nth(2)).toMatchObject({ campaign: "other", seq: 5 });
    expect(viewer.messages.every((m) => m.campaign === "other")).toBe(true);
    await viewer.close();
  });
});

describe("operations endpoints", () => {
  it("reports the uWS transport and package in /healthz: the pinned package's binary on this machine's Node 20", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", transport: "native", uws: pinnedUws });
    expect(broadcaster.transport).toBe("native");
  });

  it("exposes connections, messages and pipeline counts in /metrics", async () => {
    const viewer = new Viewer(`ws://127.0.0.1:${broadcaster.port}/v1/live`);
    await viewer.opened;
    await viewer.nth(1);
    const text = await (await fetch(`${base}/metrics`)).text();
    await viewer.close();
    expect(text).toMatch(/^sales_broadcaster_connections 1$/m);
    expect(text).toMatch(/^sales_ingest_events_total\{outcome="counted"\} 4$/m);
    expect(text).toMatch(/^sales_ingest_events_total\{outcome="duplicate"\} 2$/m);
    expect(text).toMatch(/^sales_ingest_events_total\{outcome="rejected"\} 3$/m);
    expect(text).toMatch(/^sales_fold_last_duration_seconds 0\.0015$/m);
    expect(text).toMatch(/^sales_broadcaster_messages_sent_total \d+$/m);
    expect(text).toMatch(/^sales_snapshot_age_seconds [\d.]+$/m);
  });

  it("refuses upgrades past maxConnections with 503", async () => {
    const small = await startBroadcaster({ config: { ...config, maxConnections: 1 }, logger });
    try {
      const first = new Viewer(`ws://127.0.0.1:${small.port}/v1/live`);
      await first.opened;
      const refused = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${small.port}/v1/live`);
        socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.on("open", () => resolve(101));
        socket.on("error", () => undefined);
      });
      expect(refused).toBe(503);
      await first.close();
    } finally {
      await small.close();
    }
  });
});
