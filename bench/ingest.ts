// ingest benchmark: events/s through CounterWriter (exactly-once Lua) vs one INCRBY per round trip and vs redis-benchmark EVALSHA; also via the HTTP gateway.
import { Cluster, Redis } from "ioredis";
import type { Config } from "../core/config.js";
import { createRedis, type RedisClient, waitForReady } from "../core/redis.js";
import { CounterWriter } from "../ingest/counter-writer.js";
import { sign } from "../ingest/signature.js";
import { RedisCluster, RedisServer } from "../test/support/redis-server.js";
import { startChild } from "./lib/child.js";
import { benchCommand, int, isMain, runMain } from "./lib/cli.js";
import { paymentEvents, paymentsBody } from "./lib/events.js";
import { runLoad } from "./lib/load.js";
import { note } from "./lib/progress.js";
import { evalshaCeiling } from "./lib/redis-ceiling.js";
import { type BenchResult, computeRatios, finishResult, type ResultRow, startResult } from "./lib/results.js";
import { timedLoop } from "./lib/timed-loop.js";

export interface IngestOptions {
  readonly duration: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly shards: number;
  readonly cluster: boolean;
  readonly gateway: boolean;
  readonly connections: number;
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

async function writerPhase(redis: RedisClient, shards: number, options: IngestOptions, label: string) {
  const writer = new CounterWriter(redis, { shards, dedupeTtlSeconds });
  // Warm-up outside the clock: the first few thousand calls run unoptimised code and load the script.
  for (let i = 0; i < warmupBatches; i++)
    await Promise.all(Array.from({ length: options.concurrency }, () => writer.write(paymentEvents(options.batch, campaign))));
  return timedLoop(label, options.duration * 1000, options.concurrency, async () => {
    const outcomes = await writer.write(paymentEvents(options.batch, campaign));
    return outcomes.length;
  });
}

async function topologyRows(
  scenario: string,
  target: Pick<Config, "redisUrl" | "redisClusterNodes">,
  options: IngestOptions,
  ceiling: number | undefined,
): Promise<ResultRow[]> {
  const durationMs = options.duration * 1000;
  const rows: ResultRow[] = [{ scenario, subject: naive, baseline: undefined, metrics: await naivePhase(target, durationMs) }];
  if (ceiling !== undefined)
    rows.push({ scenario, subject: "redis-benchmark EVALSHA (ceiling)", baseline: naive, metrics: { perSec: ceiling } });
  const redis = createRedis(target, { name: "bench-ingest" });
  try {
    await waitForReady(redis);
    for (const shards of [options.shards, 1]) {
      const subject = shards === 1 ? "CounterWriter, 1 hot shard" : `CounterWriter, ${shards} shards`;
      const metrics = await writerPhase(redis, shards, options, `${scenario}: ${subject}`);
      const figures: Record<string, number> = { ...metrics };
      if (ceiling) figures.pctOfCeiling = Math.round((metrics.perSec / ceiling) * 1000) / 10;
      rows.push({ scenario, subject, baseline: naive, metrics: figures });
    }
  } finally {
    redis.disconnect();
  }
  return rows;
}

async function gatewayRow(server: RedisServer, options: IngestOptions): Promise<ResultRow> {
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

export async function runIngest(options: IngestOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("ingest", { ...options }, { name: "perSec", higherIsBetter: true });
  note("starting redis-server ...");
  const server = await RedisServer.start();
  try {
    const ceiling = await evalshaCeiling(server, options.duration, campaign);
    if (ceiling === undefined) result.notes.push("redis-benchmark not found or unparsable: no EVALSHA ceiling in this run.");
    result.rows.push(...(await topologyRows("single node", { redisUrl: server.url, redisClusterNodes: undefined }, options, ceiling)));
    if (options.gateway) result.rows.push(await gatewayRow(server, options));
  } finally {
    await server.stop();
  }
  if (options.cluster) {
    note("starting a 3-master redis cluster ...");
    const cluster = await RedisCluster.start();
    try {
      result.rows.push(
        ...(await topologyRows("3-master cluster", { redisUrl: undefined, redisClusterNodes: cluster.nodeList }, options, undefined)),
      );
    } finally {
      await cluster.stop();
    }
    result.notes.push(
      "Cluster: no redis-benchmark ceiling (a one-shard EVALSHA load hits one master); the naive baseline is a cluster client without pipelining.",
    );
  }
  computeRatios(result);
  const writer = result.rows.find(
    (r) => r.scenario === "single node" && r.subject.startsWith("CounterWriter") && !r.subject.includes("hot"),
  );
  const eps = writer?.metrics.perSec ?? 0;
  const pct = writer?.metrics.pctOfCeiling;
  result.targets.push({ target: "≥ 100,000 events/s (single node, sharded)", actual: `${eps} events/s`, met: eps >= 100_000 });
  if (pct !== undefined) result.targets.push({ target: "≥ 50% of the redis-benchmark EVALSHA ceiling", actual: `${pct}%`, met: pct >= 50 });
  result.notes.push(
    `Writer: ${options.concurrency} batches of ${options.batch} events in flight, exactly-once on (SET NX EX + HINCRBY in one script), one ioredis client with auto-pipelining, in this process.`,
    "perSec is events per second (requests per second for the naive baseline, one event each); p50/p99/max are per batch (per request for the gateway).",
    "The gateway row's load generator (autocannon, signing each body) shares this process; the gateway runs in its own.",
  );
  finishResult(result, started, options.out);
  return result;
}

export function ingestCommand() {
  return benchCommand("ingest", "events/s through the counter writer and the HTTP gateway vs naive INCRBY and redis-benchmark EVALSHA", 3)
    .option("-b, --batch <n>", "events per write call / per POST", int, 100)
    .option("--concurrency <n>", "write calls in flight", int, 8)
    .option("-s, --shards <n>", "shard count for the sharded runs", int, 64)
    .option("-c, --connections <n>", "autocannon connections for the gateway run", int, 20)
    .option("--no-cluster", "skip the 3-master cluster runs")
    .option("--no-gateway", "skip the HTTP gateway run");
}

if (isMain(import.meta.url)) {
  const options = ingestCommand().parse().opts<IngestOptions>();
  runMain(() => runIngest(options));
}
