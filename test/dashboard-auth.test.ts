// Who sees what with DASHBOARD_TOKEN set: the counter view and the viewer page stay public; the full view (GET, WS, SSE),
// history and milestones need the token as Bearer or the cookie the sign-in form sets; the token never goes in a URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import type { Config } from "../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { testConfig } from "./support/config.js";
import { nthFrame, openSse, openWs, sseStatus, upgradeStatus } from "./support/frame-clients.js";
import { RedisServer } from "./support/redis-server.js";

const token = "dashboard-token-for-tests-0123";
let server: RedisServer;
let redis: RedisClient;
let config: Config;
let broadcaster: Broadcaster;
let base: string;
let ws: string;

const snapshot = {
  campaign: "auth",
  epoch: "e1",
  seq: 7,
  at: new Date().toISOString(),
  currency: "KRW",
  total: "13000000",
  count: 3,
  refunded: "0",
  refunds: 0,
  perMinute: { count: 3, total: "13000000" },
  channels: { app: { total: "9000000", count: 2 } },
  categories: { shoes: { total: "9000000", count: 2 } },
  duplicates: 0,
  rejected: 0,
  foldMs: 0.5,
};

/** Requests to every private resource, per transport: [what, status with the given headers]. */
async function privateStatuses(headers: Record<string, string>): Promise<Record<string, number>> {
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers });
    await res.arrayBuffer();
    return res.status;
  };
  return {
    "GET /v1/total": await get("/v1/total"),
    "GET /v1/total?view=full": await get("/v1/total?view=full"),
    "WS /v1/live": await upgradeStatus(`${ws}/v1/live`, headers),
    "WS /v1/live?view=full": await upgradeStatus(`${ws}/v1/live?view=full&hz=2`, headers),
    "GET /v1/stream": await sseStatus(`${base}/v1/stream`, headers),
    "GET /v1/history": await get("/v1/history"),
    "GET /v1/milestones": await get("/v1/milestones"),
  };
}

async function signIn(presented: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/dashboard/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token: presented }).toString(),
  });
}

beforeAll(async () => {
  server = await RedisServer.start();
  config = testConfig({ REDIS_URL: server.url, CAMPAIGN: "auth", BROADCASTER_PORT: "0", DASHBOARD_TOKEN: token });
  redis = createRedis(config, { name: "test" });
  await redis.set(campaignKeys("auth", config.shards).latest, JSON.stringify(snapshot));
  broadcaster = await startBroadcaster({ config });
  base = `http://127.0.0.1:${broadcaster.port}`;
  ws = `ws://127.0.0.1:${broadcaster.port}`;
});

afterAll(async () => {
  await broadcaster?.close();
  await closeRedis(redis);
  await server?.stop();
});

describe("with DASHBOARD_TOKEN set", () => {
  it("refuses the full view, history and milestones without the token, on every transport, with 401 UNAUTHORIZED", async () => {
    const statuses = await privateStatuses({});
    expect(Object.values(statuses).every((s) => s === 401)).toBe(true);
    const res = await fetch(`${base}/v1/total`);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    expect(await privateStatuses({ authorization: "Bearer wrong-token" })).toEqual(statuses);
  });

  it("keeps the counter view, the viewer page and the widget public", async () => {
    const total = await fetch(`${base}/v1/total?view=counter`);
    expect(total.status).toBe(200);
    expect(Object.keys((await total.json()) as object)).toEqual(["campaign", "epoch", "seq", "at", "currency", "total", "count"]);
    const live = await openWs(`${ws}/v1/live?view=counter&hz=2`);
    const stream = await openSse(`${base}/v1/stream?view=counter`);
    expect(JSON.parse(await nthFrame(live, 1))).not.toHaveProperty("channels");
    expect(JSON.parse(await nthFrame(stream, 1))).not.toHaveProperty("channels");
    await Promise.all([live.close(), stream.close()]);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/widget.js`)).status).toBe(200);
  });

  it("serves all of them with Authorization: Bearer, the full view marked private for caches", async () => {
    const headers = { authorization: `Bearer ${token}` };
    expect(await privateStatuses(headers)).toEqual({
      "GET /v1/total": 200,
      "GET /v1/total?view=full": 200,
      "WS /v1/live": 101,
      "WS /v1/live?view=full": 101,
      "GET /v1/stream": 200,
      "GET /v1/history": 200,
      "GET /v1/milestones": 200,
    });
    const full = await fetch(`${base}/v1/total`, { headers });
    expect(full.headers.get("cache-control")).toBe("private, max-age=1");
    expect(await full.json()).toEqual(snapshot);
    const live = await openWs(`${ws}/v1/live`, headers);
    expect(JSON.parse(await nthFrame(live, 1))).toEqual(snapshot);
    await live.close();
  });

  it("signs in through the form: an HttpOnly, SameSite=Strict cookie on Path=/ that is not the token and opens every transport", async () => {
    const res = await signIn(token);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^sc_dashboard=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(setCookie).not.toContain(token);
    const cookie = setCookie.split(";")[0]!;
    const statuses = await privateStatuses({ cookie });
    expect(Object.values(statuses)).toEqual([200, 200, 101, 101, 200, 200, 200]);
    const page = await fetch(`${base}/dashboard`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("실시간 판매 대시보드");
  });

  it("marks the cookie Secure when the page is served over HTTPS through a load balancer", async () => {
    const res = await signIn(token, { "x-forwarded-proto": "https" });
    expect(res.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("refuses a wrong token at sign-in and ignores ?token= in the URL", async () => {
    const wrong = await signIn("not-the-token", { accept: "text/html" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain('name="token"');
    const api = await signIn("not-the-token");
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("INVALID_TOKEN");
    const viaUrl = await fetch(`${base}/dashboard?token=${token}`);
    expect(viaUrl.status).toBe(401);
    expect(viaUrl.headers.get("set-cookie")).toBeNull();
    expect((await fetch(`${base}/v1/history?token=${token}`)).status).toBe(401);
    // A browser gets the sign-in form instead of JSON.
    const form = await fetch(`${base}/dashboard`, { headers: { accept: "text/html" } });
    expect(form.status).toBe(401);
    expect(await form.text()).toContain('action="/dashboard/sign-in"');
  });

  it("signs out by clearing the cookie", async () => {
    const res = await fetch(`${base}/dashboard/sign-out`, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/^sc_dashboard=; Path=\/; .*Max-Age=0/);
  });
});
