// Crash test shared by the single-node (AOF) and the cluster test files: kill -9 a Redis server during ingest
// while senders retry anything not acknowledged, restart it, and check the totals are exact.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../../aggregator/aggregator.js";
import type { Config } from "../../core/config.js";
import { closeRedis, createRedis, type RedisClient } from "../../core/redis.js";
import { parseSnapshot } from "../../core/snapshot.js";
import { campaignKeys } from "../../core/store/keys.js";
import { createIngestRuntime, type IngestRuntime } from "../../ingest/domain/runtime.js";
import { createHttpHandler } from "../../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../../ingest/local/api-gateway.js";
import { testConfig } from "./config.js";
import { readTotals } from "./counters.js";
import { waitUntil } from "./live-viewer.js";

/** A running Redis topology with AOF: the env that points components at it, the server to crash, and how to stop it. */
export interface CrashableRedis {
  readonly env: Record<string, string>;
  /** The server that is SIGKILLed and restarted; called at the moment of the crash. */
  victim(): { kill(): Promise<void>; restart(): Promise<void> };
  stop(): Promise<void>;
}

export interface CrashTopology {
  readonly start: () => Promise<CrashableRedis>;
  readonly testName: string;
  /** Start of the console line: "crash-aof" or "crash-cluster". */
  readonly logLabel: string;
  /** Right after a cluster restart a read may still meet a MOVED/CLUSTERDOWN answer: retry it for up to 10 s. */
  readonly retryFirstRead: boolean;
}

interface SendStats {
  requests: number;
  failures: number;
}

/** Registers the hooks and the crash test of one file for the given topology. */
export function crashScenario(topology: CrashTopology): void {
  let server: CrashableRedis | undefined;
  let config: Config;
  let redis: RedisClient;
  let runtime: IngestRuntime;
  let gateway: RunningGateway;
  let aggregator: Aggregator;

  beforeAll(async () => {
    server = await topology.start();
    config = testConfig({ ...server.env, CAMPAIGN: "crash", SHARDS: "16", FOLD_INTERVAL_MS: "100", HEARTBEAT_MS: "300" });
    redis = createRedis(config, { name: "test" });
    redis.on("error", () => undefined); // Redis is killed on purpose
    runtime = createIngestRuntime(config);
    runtime.redis.on("error", () => undefined);
    gateway = await startGateway({ host: "127.0.0.1", port: 0, handler: createHttpHandler(() => runtime), logger: runtime.logger });
    aggregator = await startAggregator({ config });
  }, 30000);

  afterAll(async () => {
    await aggregator?.stop();
    await gateway?.close();
    runtime?.redis.disconnect();
    await closeRedis(redis);
    await server?.stop();
  });

  /** Posts one batch until every event in it is acknowledged (accepted or duplicate), as a payment provider's webhook retries. */
  async function sendUntilAcked(events: unknown[], stats: SendStats): Promise<void> {
    for (;;) {
      stats.requests++;
      try {
        const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(5000),
        });
        if (res.status === 200) {
          const body = (await res.json()) as { accepted: number; duplicates: number };
          if (body.accepted + body.duplicates === events.length) return;
        } else await res.arrayBuffer();
      } catch {
        // connection reset or timeout: not acknowledged, retry
      }
      stats.failures++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it(topology.testName, async () => {
    const senders = 4;
    const batchesPerSender = 40;
    const batchSize = 25;
    let expected = 0n;
    const batches: unknown[][][] = Array.from({ length: senders }, (_, s) =>
      Array.from({ length: batchesPerSender }, (_, b) =>
        Array.from({ length: batchSize }, (_, i) => {
          const amount = 1_000 + s * 100_000 + b * 100 + i;
          expected += BigInt(amount);
          return { paymentId: `crash-${s}-${b}-${i}`, amount, currency: "KRW", occurredAt: new Date().toISOString() };
        }),
      ),
    );
    const total = senders * batchesPerSender * batchSize;
    const stats: SendStats = { requests: 0, failures: 0 };
    let acked = 0;
    const sending = Promise.all(
      batches.map(async (own) => {
        for (const batch of own) {
          await sendUntilAcked(batch, stats);
          acked += batch.length;
        }
      }),
    );

    // Crash once a third is acknowledged, and stay down for 700 ms while the senders keep retrying.
    await waitUntil(() => (acked >= total / 3 ? true : undefined), "a third of the events acknowledged", 30000);
    const ackedAtCrash = acked;
    if (!server) throw new Error("Redis did not start");
    const victim = server.victim();
    await victim.kill();
    await new Promise((r) => setTimeout(r, 700));
    await victim.restart();
    await sending;
    console.log(
      `${topology.logLabel}: ${total} distinct events, ${ackedAtCrash} acknowledged at the crash, ${stats.requests} requests, ${stats.failures} failed and retried`,
    );

    expect(stats.failures).toBeGreaterThan(0);
    const raw = topology.retryFirstRead
      ? await waitUntil(
          () => readTotals(redis, config.campaign, config.shards).catch(() => undefined),
          "readable counters after the restart",
          10000,
        )
      : await readTotals(redis, config.campaign, config.shards);
    expect(raw.net).toBe(expected);
    expect(raw.count).toBe(total);

    // The aggregator rode through the crash too: the epoch survived in the AOF and the snapshot is exact.
    const keys = campaignKeys(config.campaign, config.shards);
    const latest = await waitUntil(
      async () => {
        const json = await redis.get(keys.latest);
        const snapshot = json === null ? undefined : parseSnapshot(json);
        return snapshot && BigInt(snapshot.total) === expected ? snapshot : undefined;
      },
      "an exact snapshot after the crash",
      10000,
    );
    expect(latest.count).toBe(total);
    expect(latest.epoch).toBe(aggregator.stats().epoch);
  }, 55000);
}
