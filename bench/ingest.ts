// ingest benchmark: events/s through CounterWriter (exactly-once batch Lua, coalesced writes) vs one INCRBY per round trip
// and vs redis-benchmark EVALSHA of the single-event and of the batch script (Redis's ceilings); also via the HTTP gateway.

import type { Config } from "../core/config.js";
import { createRedis, waitForReady } from "../core/redis.js";
import type { RedisServer } from "../test/support/redis-server.js";
import { benchCommand, int, isMain, runMain } from "./lib/cli.js";
import { gatewayRow, lambdaRow } from "./lib/ingest-frontends.js";
import { campaign, emptyDatabases, naive, naivePhase, type WriterPhase, writerPhase } from "./lib/ingest-writer.js";
import { batchEvalshaCeiling, evalshaCeiling } from "./lib/redis-ceiling.js";
import { withRedisCluster, withRedisReplica, withRedisServer } from "./lib/redis-scope.js";
import { type BenchResult, computeRatios, finishResult, type ResultRow, startResult } from "./lib/results.js";

export interface IngestOptions {
  readonly duration: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly shards: number;
  readonly cluster: boolean;
  readonly gateway: boolean;
  /** The Lambda Invoke API row (default on; --no-lambda turns it off). */
  readonly lambda?: boolean;
  /** The primary-with-a-replica rows, with and without WAIT (default on; --no-replica turns them off). */
  readonly replica?: boolean;
  readonly connections: number;
  /** CounterWriter maxBatchEvents and maxInFlight; undefined keeps the writer's defaults. */
  readonly flushEvents?: number;
  readonly flushesInFlight?: number;
  readonly out: string;
}

const singleCeiling = "redis-benchmark EVALSHA count-payment-2.lua, 1 event/call (ceiling)";
const pct = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;

/**
 * naive baseline, then the writer with options.batch-event writes on options.shards shards and on one hot shard,
 * then one-event writes (as many concurrent single-payment requests would send them). On a single node also the
 * two redis-benchmark ceilings: the single-event script, and the batch script with the writer's mean batch.
 */
async function topologyRows(
  scenario: string,
  target: Pick<Config, "redisUrl" | "redisClusterNodes">,
  servers: readonly RedisServer[],
  options: IngestOptions,
  single: RedisServer | undefined,
): Promise<ResultRow[]> {
  const durationMs = options.duration * 1000;
  const rows: ResultRow[] = [{ scenario, subject: naive, baseline: undefined, metrics: await naivePhase(target, durationMs) }];
  if (single) await emptyDatabases([single]);
  const ceiling = single ? await evalshaCeiling(single, options.duration, campaign) : undefined;
  if (ceiling !== undefined) rows.push({ scenario, subject: singleCeiling, baseline: naive, metrics: { perSec: ceiling } });
  const phases: WriterPhase[] = [
    {
      label: `previous writer: 1 script call per event, ${options.shards} shards, ${options.batch}-event writes`,
      shards: options.shards,
      eventsPerWrite: options.batch,
      perEvent: true,
    },
    {
      label: `CounterWriter, ${options.shards} shards, ${options.batch}-event writes`,
      shards: options.shards,
      eventsPerWrite: options.batch,
    },
    { label: `CounterWriter, 1 hot shard, ${options.batch}-event writes`, shards: 1, eventsPerWrite: options.batch },
    { label: `CounterWriter, ${options.shards} shards, 1-event writes`, shards: options.shards, eventsPerWrite: 1 },
  ];
  const writerRows: ResultRow[] = [];
  const redis = createRedis(target, { name: "bench-ingest" });
  try {
    await waitForReady(redis);
    for (const phase of phases) {
      const metrics: Record<string, number> = await writerPhase(redis, servers, options, {
        ...phase,
        label: `${scenario}: ${phase.label}`,
      });
      if (ceiling) metrics.pctOfCeiling = pct(metrics.perSec!, ceiling);
      const previous = writerRows.find((r) => r.subject.startsWith("previous writer"))?.metrics.perSec;
      if (!phase.perEvent && previous) metrics.xPreviousWriter = Math.round((metrics.perSec! / previous) * 100) / 100;
      writerRows.push({ scenario, subject: phase.label, baseline: naive, metrics });
    }
  } finally {
    redis.disconnect();
  }
  const mainIndex = writerRows.findIndex((r) => r.subject.startsWith("CounterWriter"));
  const main = writerRows[mainIndex]!;
  const batch = Math.max(1, Math.round(main.metrics.eventsPerCall ?? 1));
  if (single) await emptyDatabases([single]);
  const calls = single ? await batchEvalshaCeiling(single, options.duration, campaign, batch, options.shards) : undefined;
  if (calls !== undefined) {
    const batchCeiling = calls * batch;
    rows.push({
      scenario,
      subject: `redis-benchmark EVALSHA count-payments-n.lua, ${batch} events/call on ${options.shards} shards (ceiling)`,
      baseline: naive,
      metrics: { perSec: batchCeiling, callsPerSec: calls, eventsPerCall: batch },
    });
    writerRows[mainIndex] = { ...main, metrics: { ...main.metrics, pctOfBatchCeiling: pct(main.metrics.perSec!, batchCeiling) } };
  }
  rows.push(...writerRows);
  return rows;
}

const replicaScenario = "primary + 1 replica";
const waitTimeoutMs = 250;

/**
 * What REDIS_WAIT_REPLICAS=1 costs: the same writer against a primary with one replica, acknowledging at once and
 * acknowledging only once the replica confirmed (WAIT in the count script's pipeline), phase after phase in one run.
 */
async function replicaRows(primary: RedisServer, options: IngestOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const redis = createRedis({ redisUrl: primary.url, redisClusterNodes: undefined }, { name: "bench-ingest-replica" });
  try {
    await waitForReady(redis);
    for (const eventsPerWrite of [options.batch, 1]) {
      const shape = `${options.shards} shards, ${eventsPerWrite}-event writes`;
      const atOnce = `CounterWriter, ${shape}, acknowledged at once (REDIS_WAIT_REPLICAS=0)`;
      for (const replicas of [0, 1]) {
        const label =
          replicas === 0
            ? atOnce
            : `CounterWriter, ${shape}, acknowledged after WAIT 1 replica (REDIS_WAIT_REPLICAS=1, ${waitTimeoutMs} ms)`;
        const metrics: Record<string, number> = await writerPhase(redis, [primary], options, {
          label: `${replicaScenario}: ${label}`,
          shards: options.shards,
          eventsPerWrite,
          replication: { replicas, timeoutMs: waitTimeoutMs },
        });
        rows.push({ scenario: replicaScenario, subject: label, baseline: replicas === 0 ? naive : atOnce, metrics });
      }
    }
    const naiveRow: ResultRow = {
      scenario: replicaScenario,
      subject: naive,
      baseline: undefined,
      metrics: await naivePhase({ redisUrl: primary.url, redisClusterNodes: undefined }, options.duration * 1000),
    };
    return [naiveRow, ...rows];
  } finally {
    redis.disconnect();
  }
}

export async function runIngest(options: IngestOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("ingest", { ...options }, { name: "perSec", higherIsBetter: true });
  await withRedisServer(async (server) => {
    const rows = await topologyRows("single node", { redisUrl: server.url, redisClusterNodes: undefined }, [server], options, server);
    if (!rows.some((r) => r.subject === singleCeiling))
      result.notes.push("redis-benchmark not found or unparsable: no EVALSHA ceiling in this run.");
    result.rows.push(...rows);
    if (options.gateway) result.rows.push(await gatewayRow(server, options));
    if (options.lambda !== false) result.rows.push(await lambdaRow(server, options));
  });
  if (options.replica !== false) {
    result.rows.push(...(await withRedisReplica((primary) => replicaRows(primary, options))));
    result.notes.push(
      `Replica rows: a primary and one replica (localhost, asynchronous replication) in this run; the WAIT rows' × column is against the same writer acknowledging at once. WAIT blocks the writer's connection until the replica confirms, so concurrent flushes on it queue behind one another: the cost is a replication round trip per flush, not per event.`,
    );
  }
  if (options.cluster) {
    const rows = await withRedisCluster((cluster) =>
      topologyRows("3-master cluster", { redisUrl: undefined, redisClusterNodes: cluster.nodeList }, cluster.nodes, options, undefined),
    );
    result.rows.push(...rows);
    result.notes.push(
      "Cluster: no redis-benchmark ceiling (a one-shard EVALSHA load hits one master); the naive baseline is a cluster client without pipelining.",
    );
  }
  computeRatios(result);
  const writer = result.rows.find((r) => r.scenario === "single node" && r.subject.startsWith("CounterWriter"));
  const eps = writer?.metrics.perSec ?? 0;
  const ofSingle = writer?.metrics.pctOfCeiling;
  const ofBatch = writer?.metrics.pctOfBatchCeiling;
  result.targets.push({ target: "≥ 100,000 events/s (single node, sharded)", actual: `${eps} events/s`, met: eps >= 100_000 });
  if (ofSingle !== undefined)
    result.targets.push({
      target: "≥ 50% of the redis-benchmark EVALSHA ceiling (single-event script)",
      actual: `${ofSingle}%`,
      met: ofSingle >= 50,
    });
  if (ofBatch !== undefined)
    result.targets.push({
      target: "≥ 50% of the redis-benchmark EVALSHA ceiling of the batch script at the writer's batch size (fairer)",
      actual: `${ofBatch}%`,
      met: ofBatch >= 50,
    });
  result.notes.push(
    `Writer: ${options.concurrency} × ${options.batch} events in flight (as ${options.concurrency} ${options.batch}-event writes, or ${options.concurrency * options.batch} one-event writes), exactly-once on, one CounterWriter and one ioredis client in this process. Concurrent writes are coalesced: one count-payments-n.lua call per flush on a single node (every shard), one per shard on the cluster; eventsPerCall is the mean, from INFO commandstats.`,
    "Ceilings: redis-benchmark on the same server, random payment ids, 50 clients × pipeline 16 for the single-event script, 8 clients × pipeline 2 for the batch script (events/s = calls/s × events per call, spread over the shards as the writer groups them). pctOfCeiling compares with the single-event script, pctOfBatchCeiling with the batch script.",
    "perSec is events per second (requests per second for the naive baseline, one event each); p50/p99/max are per write() call (per request for the gateway). clientCpuUsPerEvent is this process's CPU time (event generation + writer + ioredis) per event. Redis is emptied (FLUSHALL) before each measured phase.",
    "The gateway row's load generator (autocannon, signing each body) shares this process; the gateway runs in its own.",
    `The Lambda row: @aws-sdk/client-lambda InvokeCommand (RequestResponse) from this process, ${options.concurrency} invocations in flight, against the local Invoke API in its own process; p50/p99/max are per invocation.`,
  );
  finishResult(result, started, options.out);
  return result;
}

export function ingestCommand() {
  return benchCommand("ingest", "events/s through the counter writer and the HTTP gateway vs naive INCRBY and redis-benchmark EVALSHA", 3)
    .option("-b, --batch <n>", "events per write call / per POST", int, 100)
    .option("--concurrency <n>", "write calls of --batch events in flight (the one-event run keeps concurrency × batch in flight)", int, 8)
    .option("-s, --shards <n>", "shard count for the sharded runs", int, 64)
    .option("--flush-events <n>", "CounterWriter maxBatchEvents: most events per flush (writer default if unset)", int)
    .option("--flushes-in-flight <n>", "CounterWriter maxInFlight: flushes in flight at once (writer default if unset)", int)
    .option("-c, --connections <n>", "autocannon connections for the gateway run", int, 20)
    .option("--no-cluster", "skip the 3-master cluster runs")
    .option("--no-gateway", "skip the HTTP gateway run")
    .option("--no-lambda", "skip the Lambda Invoke API run")
    .option("--no-replica", "skip the primary-with-a-replica runs (with and without WAIT)");
}

if (isMain(import.meta.url)) {
  const options = ingestCommand().parse().opts<IngestOptions>();
  runMain(() => runIngest(options));
}
