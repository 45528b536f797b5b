// A Sentinel client asked to reconnect while it is still asking the Sentinels for the primary (what the feed watchdog,
// and ioredis's own +switch-master detector, do during a failover) must come back, not end for good. Real Sentinels.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient, waitForReady } from "../core/redis.js";
import { testConfig } from "./support/config.js";
import { RedisSentinelSet } from "./support/redis-sentinel.js";

let set: RedisSentinelSet;
const clients: RedisClient[] = [];

beforeAll(async () => {
  set = await RedisSentinelSet.start();
}, 40000);

afterAll(async () => {
  await Promise.all(clients.map((c) => closeRedis(c)));
  await set?.stop();
});

function sentinelClient(name: string): RedisClient {
  const client = createRedis(testConfig(set.env), { name });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

describe("a Sentinel client", () => {
  it("comes back when asked to reconnect while it resolves the primary", async () => {
    const client = sentinelClient("reconnect-while-resolving");
    // Just created: connecting, the question to the Sentinels in flight. ioredis ends such a connection for good
    // ("Connection is closed.", status end) unless the client starts again.
    expect(client.status).toBe("connecting");
    client.disconnect(true);
    await waitForReady(client, 5000);
    expect(await client.ping()).toBe("PONG");
    expect(client.status).toBe("ready");
  });

  it("stays closed when closed on purpose", async () => {
    const closed = sentinelClient("closed-on-purpose");
    await waitForReady(closed, 5000);
    await closeRedis(closed);
    await new Promise((r) => setTimeout(r, 500));
    expect(closed.status).toBe("end");
    const disconnected = sentinelClient("disconnected-on-purpose");
    disconnected.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    expect(disconnected.status).toBe("end");
    await expect(disconnected.ping()).rejects.toThrow(/Connection is closed/);
  });
});
