// Failover to a replica with real processes, shared by the Sentinel and the Redis Cluster (one replica per master) test
// files: the primary (or a master) is SIGKILLed mid-ingest and not restarted, a replica is promoted, senders repeat
// what was not acknowledged. Two aggregators and a broadcaster run as child processes; ingest (WAIT for one replica)
// runs here; a WebSocket viewer watches. Exact total at the end, the viewer's number never goes down, /readyz honest.
import { afterAll, beforeAll, expect, it, onTestFailed } from "vitest";
import type { Config } from "../../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../../core/redis.js";
import type { Snapshot } from "../../core/snapshot.js";
import { createIngestRuntime, type IngestRuntime } from "../../ingest/domain/runtime.js";
import { createHttpHandler } from "../../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../../ingest/local/api-gateway.js";
import { startSenders } from "./acked-senders.js";
import { Component } from "./components.js";
import { testConfig } from "./config.js";
import { readTotals } from "./counters.js";
import { LiveViewer, waitUntil } from "./live-viewer.js";
import { freePort } from "./redis-server.js";

/** A running Redis topology with replicas: env for components, the SIGKILL of its primary, and how to stop it. */
export interface ReplicatedRedis {
  readonly env: Record<string, string>;
  /** SIGKILLs the primary (or the master serving `key`); resolves once a replica has been promoted in its place. */
  killPrimary(key: string): Promise<{ promotedAfterMs: number }>;
  stop(): Promise<void>;
}

export interface ReplicaFailoverTopology {
  readonly start: () => Promise<ReplicatedRedis>;
  readonly campaign: string;
  readonly testName: string;
  /** Start of the console lines: "sentinel" or "cluster-replica". */
  readonly logLabel: string;
}

interface Arrival {
  readonly atMs: number;
  readonly snapshot: Snapshot;
}

export function replicaFailoverScenario(topology: ReplicaFailoverTopology): void {
  let redisSet: ReplicatedRedis;
  let config: Config;
  let redis: RedisClient;
  let runtime: IngestRuntime;
  let gateway: RunningGateway;
  let broadcasterPort: number;
  const components: Component[] = [];

  beforeAll(async () => {
    redisSet = await topology.start();
    broadcasterPort = await freePort();
    const env = {
      ...redisSet.env,
      CAMPAIGN: topology.campaign,
      SHARDS: "8",
      FOLD_INTERVAL_MS: "100",
      HEARTBEAT_MS: "200",
      REDIS_WAIT_REPLICAS: "1",
      REDIS_WAIT_TIMEOUT_MS: "250",
    };
    config = testConfig(env);
    redis = createRedis(config, { name: "test" });
    redis.on("error", () => undefined); // the primary is killed on purpose
    runtime = createIngestRuntime(config);
    gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
    for (let i = 0; i < 2; i++) components.push(Component.start("aggregator/main.ts", env));
    components.push(Component.start("broadcaster/main.ts", { ...env, BROADCASTER_PORT: String(broadcasterPort), HOST: "127.0.0.1" }));
  }, 40000);

  afterAll(async () => {
    try {
      await Promise.all(components.map((c) => c.stop()));
      await gateway?.close();
      runtime?.redis.disconnect();
      if (redis) await closeRedis(redis);
    } finally {
      await redisSet?.stop(); // whatever failed above, no redis-server or Sentinel is left running
    }
  });

  async function readyzStatus(): Promise<number> {
    try {
      return (await fetch(`http://127.0.0.1:${broadcasterPort}/readyz`, { signal: AbortSignal.timeout(1000) })).status;
    } catch {
      return 0;
    }
  }

  it(topology.testName, async () => {
    // A failure (the test's own timeout included) says which step it was in, and what the components printed last.
    let step = "waiting for the broadcaster to be ready";
    let stats: { acked: number; requests: number; retries: number; lastFailure?: string } | undefined;
    let lastSeen: () => unknown = () => undefined;
    onTestFailed(async () => {
      const counters = await readTotals(redis, config.campaign, config.shards).catch((err: unknown) => String(err));
      console.log(
        `${topology.logLabel} at the failure: counters ${JSON.stringify(counters, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
      );
      console.log(`${topology.logLabel} at the failure: the viewer's last snapshot ${JSON.stringify(lastSeen())}`);
      const tails = components.map(
        (c, i) => `--- component ${i} (${c.running ? "running" : "exited"}):\n${c.output.join("").slice(-3000)}`,
      );
      console.log(`${topology.logLabel} failed while ${step}; senders ${JSON.stringify(stats)}\n${tails.join("\n")}`);
    });
    await waitUntil(async () => ((await readyzStatus()) === 200 ? true : undefined), "the broadcaster ready", 25000);
    const viewer = new LiveViewer(`ws://127.0.0.1:${broadcasterPort}/v1/live`);
    await viewer.opened;
    lastSeen = () => {
      const s = viewer.snapshots.at(-1);
      return s && { seq: s.seq, epoch: s.epoch, total: s.total, count: s.count, degraded: s.degraded, at: s.at };
    };
    const arrivals: Arrival[] = [];
    let seen = 0;
    const watch = setInterval(() => {
      for (; seen < viewer.snapshots.length; seen++) arrivals.push({ atMs: Date.now(), snapshot: viewer.snapshots[seen]! });
    }, 10);
    const readiness: Array<{ atMs: number; status: number }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        readiness.push({ atMs: Date.now(), status: await readyzStatus() });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    try {
      step = "sending the first third";
      const sending = startSenders({
        url: `http://127.0.0.1:${gateway.port}/v1/payments`,
        senders: 4,
        batchesPerSender: 40,
        batchSize: 25,
        pauseMs: 40,
        prefix: `${topology.campaign}-${Date.now()}`,
      });
      await waitUntil(() => (sending.stats.acked >= sending.events / 3 ? true : undefined), "a third acknowledged", 30000);
      stats = sending.stats;
      const ackedAtKill = sending.stats.acked;
      step = "killing the primary and waiting for a replica's promotion";
      const killedAtMs = Date.now();
      const { promotedAfterMs } = await redisSet.killPrimary(`sc:{${config.campaign}}:meta`);
      step = "sending the rest after the promotion";
      await sending.done;
      step = "waiting for the viewer to see the exact total";
      const final = await viewer.waitFor((s) => BigInt(s.total) === sending.expected && !s.degraded, 20000);
      clearInterval(watch);
      for (; seen < viewer.snapshots.length; seen++) arrivals.push({ atMs: Date.now(), snapshot: viewer.snapshots[seen]! });
      polling = false;
      await poller;

      let gapMs = 0;
      for (let i = 1; i < arrivals.length; i++) gapMs = Math.max(gapMs, arrivals[i]!.atMs - arrivals[i - 1]!.atMs);
      const degraded = arrivals.filter((a) => a.snapshot.degraded).length;
      const finalAtMs = arrivals.find((a) => a.snapshot === final)?.atMs ?? Date.now();
      const notReady = readiness.filter((r) => r.status !== 200);
      const raw = await waitUntil(() => readTotals(redis, config.campaign, config.shards).catch(() => undefined), "the counters", 10000);
      console.log(
        `${topology.logLabel}: ${sending.events} distinct events pushed, ${ackedAtKill} acknowledged at the SIGKILL, ` +
          `${sending.stats.requests} requests, ${sending.stats.retries} retried; replica promoted ${promotedAfterMs} ms after the kill; ` +
          `longest gap between snapshots at the viewer ${gapMs} ms; ${arrivals.length} snapshots seen, ${degraded} degraded; ` +
          `/readyz not ready ${notReady.length} of ${readiness.length} polls; counters ${raw.count} payments, ` +
          `lost ${Math.max(0, sending.events - raw.count)}, duplicated ${Math.max(0, raw.count - sending.events)}; ` +
          `final total ${final.total} (expected ${sending.expected}) ${finalAtMs - killedAtMs} ms after the kill`,
      );

      // Exactly once through the failover: every acknowledged payment is there, none twice.
      expect(sending.stats.retries).toBeGreaterThan(0);
      expect(raw.net).toBe(sending.expected);
      expect(raw.count).toBe(sending.events);
      expect(final.count).toBe(sending.events);
      // The number viewers see never goes down (no refunds here) and seq never goes back.
      const snapshots = arrivals.map((a) => a.snapshot);
      for (let i = 1; i < snapshots.length; i++) {
        expect(BigInt(snapshots[i]!.total)).toBeGreaterThanOrEqual(BigInt(snapshots[i - 1]!.total));
        expect(snapshots[i]!.seq).toBeGreaterThan(snapshots[i - 1]!.seq);
      }
      expect(new Set(snapshots.map((s) => s.epoch)).size).toBe(1);
      // Publishing paused for a few seconds at most, and the broadcaster said so while it did.
      expect(gapMs).toBeLessThan(8000);
      if (gapMs > 3 * 200 + 1500) expect(notReady.length).toBeGreaterThan(0);
      expect(readiness.at(-1)?.status).toBe(200);
    } finally {
      clearInterval(watch);
      polling = false;
      viewer.close();
    }
  }, 60000);
}
