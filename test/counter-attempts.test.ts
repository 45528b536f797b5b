// What an outcome says after a lost reply: a call that timed out in the client but ran in Redis is sent again per
// caller, and the events it counted are reported "counted" (their marks carry the attempt), not "duplicate".
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { openStore } from "../core/store/index.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { counterWriter } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const shards = 4;
let server: RedisServer;
let ingest: RedisClient;
let admin: RedisClient;

function payment(id: string, amount: number): PaymentEvent {
  return {
    paymentId: id,
    amount,
    currency: "KRW",
    occurredAt: "2020-11-27T00:00:00Z",
    type: "payment",
    campaign: "attempts",
    channel: undefined,
    category: undefined,
  };
}

beforeAll(async () => {
  server = await RedisServer.start();
  const target = { redisUrl: server.url, redisClusterNodes: undefined };
  // The ingest connection of a Lambda container: a command that gets no reply within 2 s is failed (core/redis.ts).
  ingest = createRedis(target, { name: "ingest", failFast: true });
  admin = createRedis(target, { name: "test" });
});
afterAll(async () => {
  await closeRedis(ingest);
  await closeRedis(admin);
  await server.stop();
});

it("reports the payments a timed-out call counted as counted when each caller's part is sent again", async () => {
  const writer = counterWriter(ingest, { shards, dedupeTtlSeconds: 3600 });
  expect(await writer.write([payment("warm-up", 1)])).toEqual(["counted"]); // scripts loaded before the pause

  // CLIENT PAUSE WRITE holds every write (EVALSHA of a writing script included) for 2.5 s, then runs them in order:
  // the client gives up on the coalesced call after 2 s, while Redis still runs it, then the per-caller retries.
  await admin.call("CLIENT", "PAUSE", "2500", "WRITE");
  const startedMs = Date.now();
  const [first, second] = await Promise.all([
    writer.write([payment("t-1", 1000), payment("t-2", 2000)]),
    writer.write([payment("t-3", 3000), payment("t-1", 1000)]),
  ]);
  expect(Date.now() - startedMs).toBeGreaterThanOrEqual(2000); // the first call did time out

  expect(first).toEqual(["counted", "counted"]);
  // t-1 is this second caller's duplicate of the first caller's payment: still a duplicate, not "counted" twice.
  expect(second).toEqual(["counted", "duplicate"]);
  const totals = await openStore(admin, { shards, dedupeTtlSeconds: 3600 }).totals.read("attempts");
  expect(totals.net).toBe(6001n);
  expect(totals.count).toBe(4n);
  // The duplicate t-1 reached Redis twice (the call, then its caller's retry); the re-reported counted ones add none.
  expect(totals.dups).toBe(2n);

  // A later delivery of the same payment (another request) is a duplicate, as always.
  expect(await writer.write([payment("t-2", 2000)])).toEqual(["duplicate"]);
}, 20_000);
