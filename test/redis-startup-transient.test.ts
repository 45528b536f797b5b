// The startup check of Redis against a transient failure: the connection is reset as the eviction policy is read and
// Redis stays unreachable for a while (a node restarting, a cluster settling). The check must not fail the component's start
// (an aggregator died of exactly this in a takeover test): it warns, reads the policy again once Redis answers, and
// only a real wrong setting found then is reported. Real redis-server, real ioredis client, a real TCP proxy.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { checkRedisAtStart, type RedisStartupError } from "../core/redis-startup.js";
import { testConfig } from "./support/config.js";
import { RedisServer } from "./support/redis-server.js";

/**
 * Forwards to a Redis port. While `failing` is set, a client chunk asking `INFO memory` resets that connection and
 * every new connection is reset at once (Redis unreachable), until `failing` is cleared.
 */
class InfoResettingProxy {
  failing = true;
  resets = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<InfoResettingProxy> {
    let proxy: InfoResettingProxy | undefined;
    const server = createServer((client) => proxy?.carry(client, targetPort));
    proxy = new InfoResettingProxy(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy has no port");
    return address.port;
  }

  private carry(client: Socket, targetPort: number): void {
    if (this.failing && this.resets > 0) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) this.sockets.add(socket);
    client.on("data", (chunk) => {
      if (this.failing && /\binfo\r\n\$6\r\nmemory\b/i.test(chunk.toString("latin1"))) {
        this.resets++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) socket.on("close", drop).on("error", drop);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: RedisServer;
let proxy: InfoResettingProxy;
let admin: RedisClient;
let client: RedisClient;

beforeAll(async () => {
  server = await RedisServer.start();
  proxy = await InfoResettingProxy.start(server.port);
  const direct = testConfig({ REDIS_URL: server.url });
  admin = createRedis(direct, { name: "admin" });
  client = createRedis(testConfig({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }), { name: "checked" });
  client.on("error", () => undefined); // the resets are the point
}, 20000);

afterAll(async () => {
  if (client) client.disconnect();
  if (admin) await closeRedis(admin);
  await proxy?.stop();
  await server?.stop();
});

it("returns with a warning when the policy cannot be read yet, then reports a wrong policy once Redis answers", async () => {
  const warnings: string[] = [];
  const late: RedisStartupError[] = [];
  await expect(
    checkRedisAtStart(client, testConfig({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }), {
      refuseEviction: true,
      waitMs: 5000,
      warn: (message) => warnings.push(message),
      onLateProblem: (err) => late.push(err),
    }),
  ).resolves.toBeUndefined();
  expect(proxy.resets).toBe(1); // ioredis gave the command up after its reconnect attempts failed
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/eviction policy could not be read yet .*checked again once Redis answers/);
  expect(late).toEqual([]);

  // Still failing: it keeps trying without a second warning and without a verdict.
  await new Promise((r) => setTimeout(r, 1500));
  expect(late).toEqual([]);
  expect(warnings).toHaveLength(1);

  // Redis answers again, under a policy that can evict dedupe marks: that is reported, as at start.
  await admin.config("SET", "maxmemory-policy", "volatile-lru");
  proxy.failing = false;
  const deadline = Date.now() + 8000;
  while (late.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(late.map((e) => e.code)).toEqual(["REDIS_EVICTION_POLICY"]);
  expect(late[0]!.message).toMatch(/maxmemory-policy is volatile-lru/);
}, 30000);

it("reports nothing later when the policy read after the blip is noeviction", async () => {
  await admin.config("SET", "maxmemory-policy", "noeviction");
  proxy.resets = 0;
  proxy.failing = true;
  const warnings: string[] = [];
  const late: RedisStartupError[] = [];
  await checkRedisAtStart(client, testConfig({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }), {
    refuseEviction: true,
    warn: (message) => warnings.push(message),
    onLateProblem: (err) => late.push(err),
  });
  expect(proxy.resets).toBe(1);
  expect(warnings).toHaveLength(1);
  proxy.failing = false;
  const readsBefore = Number(/total_commands_processed:(\d+)/.exec(await admin.info("stats"))?.[1]);
  await new Promise((r) => setTimeout(r, 2500)); // a re-check runs within a second of Redis answering
  const readsAfter = Number(/total_commands_processed:(\d+)/.exec(await admin.info("stats"))?.[1]);
  expect(readsAfter).toBeGreaterThan(readsBefore + 1); // the re-check did read (our own INFO counts one)
  expect(late).toEqual([]);
}, 30000);
