// ingest benchmark: events/s through CounterWriter (exactly-once batch Lua, coalesced writes) vs one INCRBY per round trip
// and vs redis-benchmark EVALSHA of the single-event and of the batch script (Redis's ceilings); also via the HTTP gateway.

import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { Cluster, Redis } from "ioredis";
import type { Config } from "../core/config.js";
import { campaignKeys } from "../core/keys.js";
import { createRedis, type RedisClient, waitForReady } from "../core/redis.js";
import { shardOf } from "../core/shard.js";
import { CounterWriter } from "../ingest/counter-writer.js";
import type { PaymentEvent } from "../ingest/payment-event.js";
import { sign } from "../ingest/signature.js";
import { sqsEvent } from "../test/fixtures/aws-events.js";
import type { RedisServer } from "../test/support/redis-server.js";
import { startChild } from "./lib/child.js";
import { benchCommand, int, isMain, runMain } from "./lib/cli.js";
import { paymentEvents, paymentsBody } from "./lib/events.js";
import { runLoad } from "./lib/load.js";
import { batchEvalshaCeiling, evalshaCeiling } from "./lib/redis-ceiling.js";
import { withRedisCluster, withRedisServer } from "./lib/redis-scope.js";
import { type BenchResult, computeRatios, finishResult, type ResultRow, startResult } from "./lib/results.js";
import { timedLoop } from "./lib/timed-loop.js";

export interface IngestOptions {
  readonly duration: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly shards: number;
  readonly cluster: boolean;
  readonly gateway: boolean;
  /** The Lambda Invoke API row (default on; --no-lambda turns it off). */
  readonly lambda?: boolean;
  readonly connections: number;
  /** CounterWriter maxBatchEvents and maxInFlight; undefined keeps the writer's defaults. */
  readonly flushEvents?: number;
  readonly flushesInFlight?: number;
  readonly out: string;
}

const campaign = "bench";
const naive = "naive INCRBY per round trip";
const dedupeTtlSeconds = 3600;
const warmupBatches = 10;
const secret = "bench-secret-0123456789";

/** Sequential INCRBY on one connection without pipelining: what a careless client reaches. */
async function naivePhase(target: Pick<Config, "redisUrl" | "redisClusterNodes">, durationMs: number) {
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
async function scriptCalls(servers: readonly RedisServer[]): Promise<number> {
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
async function emptyDatabases(servers: readonly RedisServer[]): Promise<void> {
  await Promise.all(servers.map((server) => server.cli("flushall")));
}

interface WriterPhase {
  readonly label: string;
  readonly shards: number;
  /** Events per write() call; concurrency × batch / eventsPerWrite calls are in flight. */
  readonly eventsPerWrite: number;
  /** The writer before batching: one single-event script call per event, sent together (auto-pipelined). */
  readonly perEvent?: boolean;
}

/** What CounterWriter.write did before the batch script: one count-payment-2.lua call per event. */
function perEventWriter(redis: RedisClient, shards: number) {
  return {
    write: (events: readonly PaymentEvent[]) =>
      Promise.all(
        events.map((event) => {
          const shard = campaignKeys(event.campaign, shards).shard(shardOf(event.paymentId, shards));
          const amount = String(event.amount);
          return redis.scCountPaymentV1(
            shard.seen(event.paymentId),
            shard.counters,
            amount,
            event.type,
            dedupeTtlSeconds,
            event.channel ?? "",
            event.category ?? "",
          );
        }),
      ),
  };
}

async function writerPhase(redis: RedisClient, servers: readonly RedisServer[], options: IngestOptions, phase: WriterPhase) {
  const writer = phase.perEvent
    ? perEventWriter(redis, phase.shards)
    : new CounterWriter(redis, {
        shards: phase.shards,
        dedupeTtlSeconds,
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

async function gatewayRow(server: RedisServer, options: IngestOptions): Promise<ResultRow> {
  await emptyDatabases([server]);
  const gateway = await startChild("gateway", {
    REDIS_URL: server.url,
    CAMPAIGN: campaign,
    SHARDS: String(options.shards),
    INGEST_SECRET: secret,
  });
  try {
    const load = await runLoad(`gateway POST ${options.batch}-event batches`, {
      url: `http://127.0.0.1:${gateway.info.port}/v1/payments`,
      method: "POST",
      connections: options.connections,
      pipelining: 1,
      durationSeconds: options.duration,
      headers: { "content-type": "application/json" },
      setupRequest: (req) => {
        const body = paymentsBody(options.batch, campaign);
        return { ...req, body, headers: { ...req.headers, "x-signature": sign(secret, body) } };
      },
    });
    const { reqPerSec, ...rest } = load;
    return {
      scenario: "single node",
      subject: `HTTP gateway, signed ${options.batch}-event POSTs`,
      baseline: naive,
      metrics: { perSec: reqPerSec * options.batch, reqPerSec, ...rest },
    };
  } finally {
    await gateway.stop();
  }
}

/** Records per SQS invocation in the Lambda row; each record carries batch / lambdaRecords events. */
const lambdaRecords = 10;

/**
 * The real @aws-sdk/client-lambda InvokeCommand (RequestResponse) against the local Invoke API child: ingestQueue with
 * SQS events of lambdaRecords records, `concurrency` invocations in flight from this process.
 */
async function lambdaRow(server: RedisServer, options: IngestOptions): Promise<ResultRow> {
  await emptyDatabases([server]);
  const api = await startChild("lambda-api", { REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: String(options.shards) });
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${api.info.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" },
    maxAttempts: 1,
  });
  const perRecord = Math.max(1, Math.floor(options.batch / lambdaRecords));
  let message = 0;
  const invokeOnce = async () => {
    const event = sqsEvent(
      Array.from({ length: lambdaRecords }, () => ({
        messageId: `m-${++message}`,
        body: paymentEvents(perRecord, campaign).map(({ category: _c, ...e }) => e),
      })),
    );
    const out = await client.send(new InvokeCommand({ FunctionName: "ingestQueue", Payload: Buffer.from(JSON.stringify(event)) }));
    const answer = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8")) as { batchItemFailures?: unknown[] };
    if (out.FunctionError || (answer.batchItemFailures?.length ?? 0) > 0) throw new Error(`ingestQueue failed: ${JSON.stringify(answer)}`);
    return lambdaRecords * perRecord;
  };
  try {
    for (let i = 0; i < warmupBatches; i++) await Promise.all(Array.from({ length: options.concurrency }, invokeOnce));
    const metrics = await timedLoop(
      `Lambda InvokeCommand ingestQueue, ${lambdaRecords} × ${perRecord} events`,
      options.duration * 1000,
      options.concurrency,
      invokeOnce,
    );
    return {
      scenario: "single node",
      subject: `Lambda Invoke API, InvokeCommand ingestQueue (${lambdaRecords} SQS records × ${perRecord} events)`,
      baseline: naive,
      metrics,
    };
  } finally {
    client.destroy();
    await api.stop();
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
    .option("--no-lambda", "skip the Lambda Invoke API run");
}

if (isMain(import.meta.url)) {
  const options = ingestCommand().parse().opts<IngestOptions>();
  runMain(() => runIngest(options));
}
