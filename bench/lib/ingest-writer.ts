// bench:ingest phases that drive the counter writer (and its baselines: naive INCRBY, the previous per-event writer).
import { Cluster, Redis } from "ioredis";
import type { Config } from "../../core/config.js";
import type { RedisClient } from "../../core/redis.js";
import { CounterStore } from "../../core/store/counters.js";
import { countOneEvent } from "../../core/store/reference.js";
import { CounterWriter } from "../../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../../ingest/domain/payment-event.js";
import type { RedisServer } from "../../test/support/redis-server.js";
import { paymentEvents } from "./events.js";
import { timedLoop } from "./timed-loop.js";

/** What a writer phase needs of the benchmark's options. */
export interface WriterOptions {
  readonly duration: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly flushEvents?: number;
  readonly flushesInFlight?: number;
}

export const campaign = "bench";
export const naive = "naive INCRBY per round trip";
const dedupeTtlSeconds = 3600;
export const warmupBatches = 10;

/** Sequential INCRBY on one connection without pipelining: what a careless client reaches. */
export async function naivePhase(target: Pick<Config, "redisUrl" | "redisClusterNodes">, durationMs: number) {
  const nodes = target.redisClusterNodes;
  const client = nodes
    ? new Cluster([...nodes], { enableAutoPipelining: false })
    : new Redis(target.redisUrl ?? "", { enableAutoPipelining: false });
  try {
    return await timedLoop(`${naive}`, durationMs, 1, async () => {
      await client.incrby("bench-naive", 10000);
      return 1;
    });
  } finally {
    client.disconnect();
  }
}

/** Script calls (EVALSHA, and EVAL when a connection loads a script) the Redis servers have run so far. */
export async function scriptCalls(servers: readonly RedisServer[]): Promise<number> {
  let calls = 0;
  for (const server of servers) {
    const stats = await server.cli("info", "commandstats");
    for (const m of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(m[1]);
  }
  return calls;
}

/**
 * FLUSHALL before each measured phase: every phase starts from an empty keyspace, so the writer and the ceilings
 * run against the same number of dedupe keys (Redis slows down as millions of them accumulate).
 */
export async function emptyDatabases(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.cli("flushall")));
}

export interface WriterPhase {
  readonly label: string;
  readonly shards: number;
  /** Events per write() call; concurrency × batch / eventsPerWrite calls are in flight. */
  readonly eventsPerWrite: number;
  /** The writer before batching: one single-event script call per event, sent together (auto-pipelined). */
  readonly perEvent?: boolean;
  /** WAIT for replicas after each count before answering (REDIS_WAIT_REPLICAS / REDIS_WAIT_TIMEOUT_MS). */
  readonly replication?: { readonly replicas: number; readonly timeoutMs: number };
}

/** What CounterWriter.write did before the batch script: one count-payment-2.lua call per event. */
function perEventWriter(redis: RedisClient, shards: number) {
  return {
    write: (events: readonly PaymentEvent[]) =>
      Promise.all(
        events.map((event) =>
          countOneEvent(redis, shards, dedupeTtlSeconds, {
            campaign: event.campaign,
            paymentId: event.paymentId,
            amount: event.amount,
            kind: event.type,
            channel: event.channel,
            category: event.category,
          }),
        ),
      ),
  };
}

export async function writerPhase(redis: RedisClient, servers: readonly RedisServer[], options: WriterOptions, phase: WriterPhase) {
  const writer = phase.perEvent
    ? perEventWriter(redis, phase.shards)
    : new CounterWriter(new CounterStore(redis, phase.shards, dedupeTtlSeconds, phase.replication), {
        maxBatchEvents: options.flushEvents,
        maxInFlight: options.flushesInFlight,
      });
  const inFlight = Math.max(1, Math.round((options.concurrency * options.batch) / phase.eventsPerWrite));
  // Warm-up outside the clock: the first few thousand calls run unoptimised code and load the script.
  for (let i = 0; i < warmupBatches; i++)
    await Promise.all(Array.from({ length: inFlight }, () => writer.write(paymentEvents(phase.eventsPerWrite, campaign))));
  await emptyDatabases(servers);
  const callsBefore = await scriptCalls(servers);
  const cpuBefore = process.cpuUsage();
  let events = 0;
  const figures = await timedLoop(phase.label, options.duration * 1000, inFlight, async () => {
    const outcomes = await writer.write(paymentEvents(phase.eventsPerWrite, campaign));
    events += outcomes.length;
    return outcomes.length;
  });
  const cpu = process.cpuUsage(cpuBefore);
  const calls = (await scriptCalls(servers)) - callsBefore;
  return {
    ...figures,
    eventsPerCall: calls > 0 ? Math.round((events / calls) * 10) / 10 : 0,
    clientCpuUsPerEvent: events > 0 ? Math.round(((cpu.user + cpu.system) / events) * 100) / 100 : 0,
  };
}
