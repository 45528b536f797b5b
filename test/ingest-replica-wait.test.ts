// REDIS_WAIT_REPLICAS: ingest answers 200 only once a replica holds the payment (WAIT, in the count script's pipeline);
// a replica that does not confirm in time makes it 503 COUNTER_UNAVAILABLE (a retry counts it once); a primary with no
// replica at all is acknowledged after the timeout. Real primary and replica, the replication link through a relay.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createIngestRuntime, type IngestRuntime } from "../ingest/domain/runtime.js";
import { createHttpHandler } from "../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../ingest/local/api-gateway.js";
import { testConfig } from "./support/config.js";
import { payment } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";
import { TcpRelay } from "./support/tcp-relay.js";

let primary: RedisServer;
let replica: RedisServer;
let alone: RedisServer;
let link: TcpRelay;
const runtimes: IngestRuntime[] = [];
const gateways: RunningGateway[] = [];

async function gatewayFor(url: string): Promise<string> {
  const config = testConfig({ REDIS_URL: url, CAMPAIGN: "wait", SHARDS: "4", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "150" });
  const runtime = createIngestRuntime(config);
  runtimes.push(runtime);
  const gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
  gateways.push(gateway);
  return `http://127.0.0.1:${gateway.port}/v1/payments`;
}

beforeAll(async () => {
  primary = await RedisServer.start();
  link = await TcpRelay.start(primary.port);
  replica = await RedisServer.start({ replicaOf: link.port });
  await replica.waitForSync();
  alone = await RedisServer.start();
}, 30000);

afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const r of runtimes) r.redis.disconnect();
  await link?.stop();
  await Promise.all([primary, replica, alone].map((s) => s?.stop()));
});

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
/** The shard of a paymentId does not matter here: the dedupe mark exists on exactly one of the 4 shards. */
const markOn = async (server: RedisServer, id: string) =>
  Number(await server.cli("exists", ...[0, 1, 2, 3].map((shard) => `sc:{wait:${shard}}:seen:${id}`)));

it("acknowledges a payment only once the replica holds it, and answers 503 while the replica does not confirm", async () => {
  const url = await gatewayFor(primary.url);
  const first = payment({ paymentId: "wait-1", campaign: "wait" });
  const ok = await post(url, first);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toMatchObject({ accepted: 1 });
  expect(await markOn(replica, "wait-1")).toBe(1); // already on the replica when the answer came

  // The replica stops confirming (its link holds what the primary sends): counted on the primary, but not answered 200.
  link.hold();
  const startedMs = Date.now();
  const lagging = await post(url, payment({ paymentId: "wait-2", campaign: "wait" }));
  expect(lagging.status).toBe(503);
  expect(lagging.headers.get("retry-after")).toBe("1");
  expect(((await lagging.json()) as { error: { code: string } }).error.code).toBe("COUNTER_UNAVAILABLE");
  expect(Date.now() - startedMs).toBeGreaterThanOrEqual(140);
  expect(await markOn(replica, "wait-2")).toBe(0);

  // The sender retries once the replica catches up: acknowledged, and counted once.
  link.release();
  const retried = await post(url, payment({ paymentId: "wait-2", campaign: "wait" }));
  expect(retried.status).toBe(200);
  expect(await retried.json()).toMatchObject({ accepted: 0, duplicates: 1 });
  expect(await markOn(replica, "wait-2")).toBe(1);
  const counted = await primary.cli(
    "eval",
    "local n = 0 for s = 0, 3 do n = n + tonumber(redis.call('HGET', 'sc:{wait:' .. s .. '}:c', 'count') or 0) end return n",
    "0",
  );
  expect(counted).toBe("2");
});

it("acknowledges after the timeout on a primary with no replica at all (nothing could keep the write anyway)", async () => {
  const url = await gatewayFor(alone.url);
  const res = await post(url, payment({ paymentId: "alone-1", campaign: "wait" }));
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ accepted: 1 });
  // Known to be alone: the next writes do not wait again for the next second.
  const startedMs = Date.now();
  expect((await post(url, payment({ paymentId: "alone-2", campaign: "wait" }))).status).toBe(200);
  expect(Date.now() - startedMs).toBeLessThan(140);
});
