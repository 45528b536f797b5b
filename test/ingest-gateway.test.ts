import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { createIngestRuntime } from "../ingest/domain/runtime.js";
import { sign } from "../ingest/domain/signature.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;
const gateways: RunningGateway[] = [];
let open: string;
let signed: string;
const secret = "test-secret-0123456789abcdef";

async function startWith(env: Record<string, string>, campaign: string): Promise<string> {
  const config = testConfig({ REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: "8", ...env });
  const runtime = createIngestRuntime(config);
  const gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  gateways.push(gateway);
  return `http://127.0.0.1:${gateway.port}/v1/payments`;
}

beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
  open = await startWith({}, "open");
  signed = await startWith({ INGEST_SECRET: secret }, "signed");
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  await closeRedis(redis);
  await server.stop();
});

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

async function expectNothingCounted(campaign: string, before: bigint): Promise<void> {
  expect((await readTotals(redis, campaign, 8)).net).toBe(before);
}

describe("ingest gateway", () => {
  it("counts one event, an array and {events}, and reports duplicates", async () => {
    const a = payment({ amount: 1000 });
    const b = payment({ amount: 2000 });
    const c = payment({ amount: 3000, type: "refund" });
    expect(await (await post(open, JSON.stringify(a))).json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await (await post(open, JSON.stringify([a, b]))).json()).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    expect(await (await post(open, JSON.stringify({ events: [c] }))).json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await readTotals(redis, "open", 8)).toMatchObject({ net: 0n, count: 2, refunds: 1 });
  });

  const badEvents: Array<[string, Record<string, unknown>, string, string]> = [
    ["wrong type for amount", { amount: "1000" }, "INVALID_AMOUNT", "amount"],
    ["missing paymentId", { paymentId: undefined }, "MISSING_FIELD", "paymentId"],
    ["missing occurredAt", { occurredAt: undefined }, "MISSING_FIELD", "occurredAt"],
    ["zero amount", { amount: 0 }, "INVALID_AMOUNT", "amount"],
    ["negative amount", { amount: -5 }, "INVALID_AMOUNT", "amount"],
    ["fractional amount", { amount: 10.5 }, "INVALID_AMOUNT", "amount"],
    ["huge amount", { amount: 1e12 + 1 }, "INVALID_AMOUNT", "amount"],
    ["unsafe integer amount", { amount: 2 ** 60 }, "INVALID_AMOUNT", "amount"],
    ["bad id characters", { paymentId: "pay 1/2" }, "INVALID_PAYMENT_ID", "paymentId"],
    ["too long id", { paymentId: "x".repeat(129) }, "INVALID_PAYMENT_ID", "paymentId"],
    ["wrong currency", { currency: "USD" }, "WRONG_CURRENCY", "currency"],
    ["lower-case currency", { currency: "krw" }, "INVALID_CURRENCY", "currency"],
    ["bad timestamp", { occurredAt: "yesterday" }, "INVALID_OCCURRED_AT", "occurredAt"],
    ["bad type", { type: "chargeback" }, "INVALID_TYPE", "type"],
    ["another campaign", { campaign: "other" }, "UNKNOWN_CAMPAIGN", "campaign"],
    ["bad channel", { channel: "a:b" }, "INVALID_CHANNEL", "channel"],
  ];
  for (const [name, override, code, field] of badEvents) {
    it(`rejects ${name} with 400 ${code} naming ${field}, and counts nothing`, async () => {
      const before = (await readTotals(redis, "open", 8)).net;
      const res = await post(open, JSON.stringify(payment(override)));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string }; rejected: Array<{ index: number; code: string }> };
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(field);
      expect(body.rejected).toEqual([expect.objectContaining({ index: 0, code })]);
      await expectNothingCounted("open", before);
    });
  }

  const badRequests: Array<[string, string, number, string]> = [
    ["malformed JSON", "{not json", 400, "INVALID_JSON"],
    ["an empty body", "", 400, "EMPTY_BODY"],
    ["an empty batch", "[]", 400, "EMPTY_BATCH"],
    ["a scalar body", "42", 400, "INVALID_BATCH"],
    ["events that are not an array", '{"events": 5}', 400, "INVALID_BATCH"],
    ["too many events", JSON.stringify(Array.from({ length: 1001 }, () => payment())), 413, "TOO_MANY_EVENTS"],
    ["a body over 1 MiB", JSON.stringify({ events: [payment({ note: "x".repeat(1024 * 1024) })] }), 413, "PAYLOAD_TOO_LARGE"],
  ];
  for (const [name, body, status, code] of badRequests) {
    it(`answers ${name} with ${status} ${code} and counts nothing`, async () => {
      const before = (await readTotals(redis, "open", 8)).net;
      const res = await post(open, body);
      expect(res.status).toBe(status);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message.length).toBeGreaterThan(5);
      await expectNothingCounted("open", before);
    });
  }

  it("counts the good items of a mixed batch and reports the bad ones by index", async () => {
    const good1 = payment({ amount: 111 });
    const good2 = payment({ amount: 222 });
    const before = (await readTotals(redis, "open", 8)).net;
    const res = await post(open, JSON.stringify([good1, payment({ amount: -1 }), good2, payment({ currency: "EUR" }), "nope"]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, "INVALID_AMOUNT"],
      [3, "WRONG_CURRENCY"],
      [4, "INVALID_EVENT"],
    ]);
    expect((await readTotals(redis, "open", 8)).net).toBe(before + 333n);
    expect(await redis.hget(campaignKeys("open", 1).stats, "rejected")).not.toBeNull();
  });

  it("answers unknown routes with 404 and other methods with 405", async () => {
    expect((await fetch(open.replace("/v1/payments", "/v1/nothing"), { method: "POST" })).status).toBe(404);
    expect((await fetch(open)).status).toBe(405);
  });

  describe("with INGEST_SECRET", () => {
    const body = () => JSON.stringify(payment({ campaign: "signed", amount: 500 }));

    it("counts a correctly signed request", async () => {
      const raw = body();
      const res = await post(signed, raw, { "x-signature": sign(secret, raw) });
      expect(res.status).toBe(200);
      expect((await readTotals(redis, "signed", 8)).net).toBe(500n);
    });

    const cases: Array<[string, (raw: string) => Record<string, string>, string]> = [
      ["a missing signature", () => ({}), "SIGNATURE_MISSING"],
      ["a malformed signature", () => ({ "x-signature": "garbage" }), "SIGNATURE_MALFORMED"],
      ["a wrong secret", (raw) => ({ "x-signature": sign("another-secret-0123456789", raw) }), "SIGNATURE_INVALID"],
      ["a signature of another body", () => ({ "x-signature": sign(secret, "{}") }), "SIGNATURE_INVALID"],
      [
        "a signature older than 5 minutes",
        (raw) => ({ "x-signature": sign(secret, raw, Math.floor(Date.now() / 1000) - 301) }),
        "SIGNATURE_EXPIRED",
      ],
      [
        "a signature from the future",
        (raw) => ({ "x-signature": sign(secret, raw, Math.floor(Date.now() / 1000) + 600) }),
        "SIGNATURE_EXPIRED",
      ],
    ];
    for (const [name, headers, code] of cases) {
      it(`rejects ${name} with 401 ${code} and counts nothing`, async () => {
        const before = (await readTotals(redis, "signed", 8)).net;
        const raw = body();
        const res = await post(signed, raw, headers(raw));
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
        await expectNothingCounted("signed", before);
      });
    }
  });

  it("answers 503 with a retryable code when Redis is down, and counts the retry once after it returns", async () => {
    const lonely = await RedisServer.start();
    const url = await startWith({ REDIS_URL: lonely.url }, "outage");
    const event = payment({ campaign: "outage", amount: 777 });
    await lonely.kill();
    const down = await post(url, JSON.stringify(event));
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe("COUNTER_UNAVAILABLE");
    await lonely.restart();
    const deadline = Date.now() + 10000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await post(url, JSON.stringify(event))).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    const second = (await (await post(url, JSON.stringify(event))).json()) as { duplicates: number };
    expect(second.duplicates).toBe(1);
    const direct = createRedis({ redisUrl: lonely.url, redisClusterNodes: undefined }, { name: "check" });
    expect((await readTotals(direct, "outage", 8)).net).toBe(777n);
    await closeRedis(direct);
    await lonely.stop();
  });
});
