// Our uWS servers on uWebSockets.js's JS fallback (UWS_USE_FALLBACK=1): the broadcaster and the ingest process (gateway +
// Lambda Invoke API) as child processes, checked over real sockets. Degraded (no WebSocket), never crashing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import type { Snapshot } from "../core/snapshot.js";
import { sign } from "../ingest/domain/signature.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { payment } from "./support/counters.js";
import { eventually } from "./support/pipeline.js";
import { freePort, RedisServer } from "./support/redis-server.js";
import { pinnedUws } from "./support/uws-packages.js";

const secret = "fallback-secret-0123456789abcdef";
const campaign = "fallback";

let server: RedisServer;
let aggregator: Aggregator;
let broadcaster: Component;
let ingest: Component;
let base: string;
let ingestBase: string;
let lambdaBase: string;

async function statusOf(url: string): Promise<number | undefined> {
  try {
    return (await fetch(url)).status;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  server = await RedisServer.start();
  const [broadcasterPort, ingestPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    REDIS_URL: server.url,
    CAMPAIGN: campaign,
    SHARDS: "4",
    FOLD_INTERVAL_MS: "50",
    HEARTBEAT_MS: "200",
    HOST: "127.0.0.1",
    DEMO: "0",
    INGEST_SECRET: secret,
  };
  aggregator = await startAggregator({ config: testConfig(env) });
  const fallbackEnv = { ...env, UWS_USE_FALLBACK: "1" };
  broadcaster = Component.start("broadcaster/main.ts", { ...fallbackEnv, BROADCASTER_PORT: String(broadcasterPort) });
  ingest = Component.start("ingest/local/main.ts", { ...fallbackEnv, INGEST_PORT: String(ingestPort), LAMBDA_PORT: String(lambdaPort) });
  base = `http://127.0.0.1:${broadcasterPort}`;
  ingestBase = `http://127.0.0.1:${ingestPort}`;
  lambdaBase = `http://127.0.0.1:${lambdaPort}`;
  for (const url of [`${base}/healthz`, `${ingestBase}/healthz`, `${lambdaBase}/healthz`]) {
    await eventually(async () => ((await statusOf(url)) === 200 ? true : undefined), 20000, `${url} up`);
  }
}, 40000);

afterAll(async () => {
  await broadcaster?.stop();
  await ingest?.stop();
  await aggregator?.stop();
  await server?.stop();
});

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe("uWS JS fallback (UWS_USE_FALLBACK=1)", () => {
  it("reports transport fallback of the pinned package in every /healthz and logs what it cannot do, and why", async () => {
    for (const url of [`${base}/healthz`, `${ingestBase}/healthz`, `${lambdaBase}/healthz`]) {
      expect(await (await fetch(url)).json()).toMatchObject({ status: "ok", transport: "fallback", uws: pinnedUws });
    }
    const logs = broadcaster.output.join("");
    expect(logs).toContain("JS fallback");
    expect(logs).toContain("WEBSOCKET_UNAVAILABLE");
    // The other build is not tried: UWS_USE_FALLBACK is an explicit request (core/uws-loader.ts).
    expect(logs).toContain("UWS_USE_FALLBACK asks for the JS fallback");
  });

  it("serves GET /v1/total with an ETag and answers 304 to If-None-Match", async () => {
    const res = await eventually(
      async () => {
        const r = await fetch(`${base}/v1/total`);
        return r.status === 200 ? r : undefined;
      },
      15000,
      "a first snapshot",
    );
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(((await res.json()) as Snapshot).campaign).toBe(campaign);
    // Snapshots are folded every heartbeat, so the ETag may move between two requests: retry until one matches.
    const notModified = await eventually(
      async () => {
        const latest = await fetch(`${base}/v1/total?campaign=${campaign}`);
        const current = latest.headers.get("etag")!;
        await latest.arrayBuffer();
        const r = await fetch(`${base}/v1/total?campaign=${campaign}`, { headers: { "If-None-Match": current } });
        if (r.status === 200) expect(r.headers.get("etag")).not.toBe(current);
        return r.status === 304 ? r : undefined;
      },
      5000,
      "a 304",
    );
    expect(notModified.headers.get("etag")).toMatch(/^".+"$/);
    expect(await notModified.text()).toBe("");
  });

  it("validates ?campaign=, answers unknown campaigns and routes with coded errors, serves the viewer page", async () => {
    const bad = await fetch(`${base}/v1/total?campaign=no%20spaces!`);
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe("INVALID_CAMPAIGN");
    const unknown = await fetch(`${base}/v1/total?campaign=nosuch`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe("UNKNOWN_CAMPAIGN");
    const history = await fetch(`${base}/v1/history?step=bogus`);
    expect(history.status).toBe(400);
    const missing = await fetch(`${base}/no/such/route?x=1`);
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe("NOT_FOUND");
    const preflight = await fetch(`${base}/v1/total`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    const page = await fetch(`${base}/?utm=x`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    await page.arrayBuffer();
    const cachedPage = await fetch(`${base}/`, { headers: { "If-None-Match": page.headers.get("etag")! } });
    expect(cachedPage.status).toBe(304);
  });

  it("counts a signed ingest POST (and refuses an unsigned one); the total shows it after a fold", async () => {
    const raw = JSON.stringify(payment({ amount: 4321 }));
    const unsigned = await fetch(`${ingestBase}/v1/payments`, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
    const res = await fetch(`${ingestBase}/v1/payments?source=test`, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json", "x-signature": sign(secret, raw) },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const snapshot = await eventually(
      async () => {
        const r = await fetch(`${base}/v1/total`);
        if (r.status !== 200) return undefined;
        const s = (await r.json()) as Snapshot;
        return s.total === "4321" ? s : undefined;
      },
      10000,
      "the payment in /v1/total",
    );
    expect(snapshot.count).toBe(1);
  });

  it("streams snapshots over SSE /v1/stream", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/stream?campaign=${campaign}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 5000;
    while (!/^data: .*\n\n/m.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    const line = text.split("\n").find((l) => l.startsWith("data: "));
    expect(line).toBeDefined();
    expect((JSON.parse(line!.slice(6)) as Snapshot).campaign).toBe(campaign);
  });

  it("refuses WS /v1/live cleanly with 501 WEBSOCKET_UNAVAILABLE", async () => {
    const refusal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${base.replace("http", "ws")}/v1/live?campaign=${campaign}`);
      ws.once("open", () => reject(new Error("upgrade unexpectedly accepted")));
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += String(d)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once("error", () => undefined);
    });
    expect(refusal.status).toBe(501);
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: "WEBSOCKET_UNAVAILABLE" } });
  });

  it("answers the Lambda Invoke API, query parameters included", async () => {
    const res = await fetch(`${lambdaBase}/2015-03-31/functions/no-such-fn/invocations?Qualifier=%24LATEST`, {
      method: "POST",
      body: "{}",
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(await res.text()).toContain("no-such-fn:$LATEST");
  });

  it("is still running after all of it", async () => {
    expect(broadcaster.running).toBe(true);
    expect(ingest.running).toBe(true);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const logs = broadcaster.output.join("") + ingest.output.join("");
    expect(logs).not.toMatch(/uncaught|TypeError|Not implemented|handler failed/i);
  });
});
