// Aggregator high availability with real processes, shared by the single-node and the cluster test files:
// three aggregators, one leads; SIGKILL and SIGTERM of the leader.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Config } from "../../core/config.js";
import { closeRedis, createRedis, createSubscriber, type RedisClient } from "../../core/redis.js";
import type { Snapshot } from "../../core/snapshot.js";
import { campaignKeys } from "../../core/store/keys.js";
import type { CounterWriter } from "../../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../../ingest/domain/payment-event.js";
import { Component } from "./components.js";
import { testConfig } from "./config.js";
import { counterWriter, payment } from "./counters.js";
import { waitUntil } from "./live-viewer.js";

/** A running Redis topology: the env that points components at it, and how to stop it. */
export interface StartedRedis {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export interface FailoverTopology {
  /** Starts the Redis servers; returns e.g. { REDIS_URL } or { REDIS_CLUSTER_NODES } as env. */
  readonly start: () => Promise<StartedRedis>;
  readonly campaign: string;
  readonly testName: string;
  /** Put in front of the console lines: "" or "cluster ". */
  readonly logPrefix: string;
}

/** Registers the hooks and the failover test of one file for the given topology. */
export function failoverScenario(topology: FailoverTopology): void {
  let server: StartedRedis;
  let config: Config;
  let redis: RedisClient;
  let subscriber: RedisClient;
  const aggregators: Component[] = [];
  const received: Array<{ atMs: number; snapshot: Snapshot }> = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await topology.start();
    env = { ...server.env, CAMPAIGN: topology.campaign, SHARDS: "8", FOLD_INTERVAL_MS: "100", HEARTBEAT_MS: "200" };
    config = testConfig(env);
    redis = createRedis(config, { name: "test" });
    subscriber = createSubscriber(config, "test-sub");
    const keys = campaignKeys(config.campaign, config.shards);
    await subscriber.subscribe(keys.snapshots);
    subscriber.on("message", (_channel: string, json: string) =>
      received.push({ atMs: Date.now(), snapshot: JSON.parse(json) as Snapshot }),
    );
    for (let i = 0; i < 3; i++) aggregators.push(Component.start("aggregator/main.ts", env));
  }, 30000);

  afterAll(async () => {
    await Promise.all(aggregators.map((a) => a.stop()));
    await closeRedis(subscriber);
    await closeRedis(redis);
    await server.stop();
  });

  const keys = () => campaignKeys(config.campaign, config.shards);
  const leaderPid = async () => {
    const owner = await redis.get(keys().leader);
    return owner === null ? undefined : Number(owner.split(":")[1]);
  };

  /** Writes payments continuously while a fault happens; returns the exact sum written. */
  function startTraffic(writer: CounterWriter) {
    let sum = 0n;
    let events = 0;
    let running = true;
    const done = (async () => {
      while (running) {
        const batch: PaymentEvent[] = Array.from({ length: 20 }, () => ({
          paymentId: String(payment().paymentId),
          amount: 12_345,
          currency: "KRW",
          occurredAt: new Date().toISOString(),
          type: "payment",
          campaign: config.campaign,
          channel: undefined,
          category: undefined,
        }));
        await writer.write(batch);
        sum += 20n * 12_345n;
        events += 20;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await done;
        return { sum, events };
      },
    };
  }

  /** Kills the leader with the signal; resolves the ms from its exit to the first snapshot published by another one. */
  async function killLeader(signal: NodeJS.Signals): Promise<{ takeoverMs: number; newPid: number }> {
    const pid = await waitUntil(leaderPid, "a leader", 20000);
    const leader = aggregators.find((a) => a.pid === pid);
    if (!leader) throw new Error(`leader pid ${pid} is not one of ours`);
    await leader.signal(signal);
    const exitedAtMs = Date.now();
    const first = await waitUntil(() => received.find((r) => r.atMs > exitedAtMs), "a snapshot from the new leader", 10000);
    const newPid = await waitUntil(async () => {
      const p = await leaderPid();
      return p !== undefined && p !== pid ? p : undefined;
    }, "a new lease owner");
    return { takeoverMs: first.atMs - exitedAtMs, newPid };
  }

  it(topology.testName, async () => {
    const log = topology.logPrefix;
    await waitUntil(() => received.find((r) => r.snapshot.seq > 0), "a first snapshot", 20000);
    const traffic = startTraffic(counterWriter(redis, { shards: config.shards, dedupeTtlSeconds: 3600 }));

    const killed = await killLeader("SIGKILL");
    console.log(`${log}SIGKILL takeover: ${killed.takeoverMs} ms`);
    expect(killed.takeoverMs).toBeLessThan(3000);

    // Graceful stop releases the lease: the standby takes over at its next tick, well before the 2 s lease would lapse.
    const termed = await killLeader("SIGTERM");
    console.log(`${log}SIGTERM takeover: ${termed.takeoverMs} ms`);
    expect(termed.takeoverMs).toBeLessThan(1500);

    const { sum, events } = await traffic.stop();
    console.log(`${log}failover test pushed ${events} events during the two takeovers`);
    const final = await waitUntil(() => received.find((r) => BigInt(r.snapshot.total) === sum), "the exact final total", 5000);
    expect(final.snapshot.count).toBe(events);

    const seqs = received.map((r) => r.snapshot.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? 0);
    expect(new Set(received.map((r) => r.snapshot.epoch)).size).toBe(1);
    expect(aggregators.filter((a) => a.running).length).toBe(1);
  }, 55000);
}
