// fold benchmark: cost of one fold read (every shard hash + the rejected stat, summed) as shards grow, single node and cluster.

import { totalsFingerprint } from "../aggregator/totals-fingerprint.js";
import type { Config } from "../core/config.js";
import { createRedis, type RedisClient, waitForReady } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { sumShards, TotalsStore } from "../core/store/totals.js";
import { benchCommand, intList, isMain, runMain } from "./lib/cli.js";
import { LatencyRecorder, nowMs } from "./lib/histogram.js";
import { withProgress } from "./lib/progress.js";
import { withRedisCluster, withRedisServer } from "./lib/redis-scope.js";
import { type BenchResult, computeRatios, finishResult, type ResultRow, startResult } from "./lib/results.js";

export interface FoldOptions {
  readonly duration: number;
  readonly shards: number[];
  readonly cluster: boolean;
  readonly out: string;
}

const campaign = "bench-fold";
const baselineSubject = "one PING round trip";
const foldSubject = "fold: sum in Redis";

/** p50 cost per shard in µs: flat as shards grow means the fold grows linearly. */
const perShardUs = (p50Ms: number, shards: number) => Math.round((p50Ms * 1000 * 10) / shards) / 10;

/** Fills every shard hash as a busy campaign would: totals plus a few channel and category dimensions (registered). */
async function populate(redis: RedisClient, shards: number): Promise<void> {
  const keys = campaignKeys(campaign, shards);
  await Promise.all([redis.sadd(keys.channelNames, "app", "web"), redis.sadd(keys.categoryNames, "shoes")]);
  await Promise.all(
    keys.shardCounters.map((key, i) =>
      redis.hset(key, {
        net: 1000 * i,
        gross: 1000 * i,
        count: i,
        refunded: 0,
        refunds: 0,
        dups: 0,
        "ch:app:a": 500 * i,
        "ch:app:n": i,
        "ch:web:a": 500 * i,
        "ch:web:n": i,
        "cat:shoes:a": 1000 * i,
        "cat:shoes:n": i,
      }),
    ),
  );
}

/** Repeats op for durationMs (after a short warm-up) and returns per-call latency. */
async function measure(label: string, durationMs: number, op: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await op();
  const recorder = new LatencyRecorder();
  const end = nowMs() + durationMs;
  const work = (async () => {
    while (nowMs() < end) {
      const t0 = nowMs();
      await op();
      recorder.recordMs(nowMs() - t0);
    }
  })();
  await withProgress(label, durationMs, work);
  const s = recorder.summary();
  return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, folds: s.samples };
}

async function topologyRows(
  topology: string,
  target: Pick<Config, "redisUrl" | "redisClusterNodes">,
  options: FoldOptions,
): Promise<ResultRow[]> {
  const redis = createRedis(target, { name: "bench-fold" });
  const rows: ResultRow[] = [];
  const perPhaseMs = (options.duration * 1000) / (options.shards.length + 1);
  try {
    await waitForReady(redis);
    for (const shards of options.shards) {
      await populate(redis, shards);
      const keys = campaignKeys(campaign, shards);
      const totals = new TotalsStore(redis, shards);
      const scenario = `${topology}, ${shards} shards`;
      // Same run, same connection: the floor any fold pays is one round trip.
      rows.push({
        scenario,
        subject: baselineSubject,
        baseline: undefined,
        metrics: await measure(`${scenario}: PING`, perPhaseMs / 2, () => redis.ping()),
      });
      // The read the fold used before summing moved into Redis (and still uses when a double cannot be exact).
      const eachShard = await measure(`${scenario}: shard by shard`, perPhaseMs / 2, async () => {
        const [hashes, rejected] = await Promise.all([totals.readEachShard(campaign), redis.hget(keys.stats, "rejected")]);
        return totalsFingerprint(sumShards(keys.shardCounters, hashes, rejected));
      });
      rows.push({
        scenario,
        subject: "read each shard, sum in Node",
        baseline: baselineSubject,
        metrics: { ...eachShard, usPerShard: perShardUs(eachShard.p50Ms, shards) },
      });
      const fold = await measure(`${scenario}: fold`, perPhaseMs, async () => totalsFingerprint(await totals.read(campaign)));
      rows.push({
        scenario,
        subject: foldSubject,
        baseline: baselineSubject,
        metrics: { ...fold, usPerShard: perShardUs(fold.p50Ms, shards) },
      });
    }
  } finally {
    redis.disconnect();
  }
  return rows;
}

export async function runFold(options: FoldOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("fold", { ...options }, { name: "p50Ms", higherIsBetter: false });
  result.rows.push(
    ...(await withRedisServer((server) => topologyRows("single node", { redisUrl: server.url, redisClusterNodes: undefined }, options))),
  );
  if (options.cluster)
    result.rows.push(
      ...(await withRedisCluster((cluster) =>
        topologyRows("3-master cluster", { redisUrl: undefined, redisClusterNodes: cluster.nodeList }, options),
      )),
    );
  computeRatios(result);
  const at64 = result.rows.find((r) => r.scenario === "single node, 64 shards" && r.subject === foldSubject);
  if (at64)
    result.targets.push({
      target: "fold ≤ 1 ms at 64 shards (p50, single node)",
      actual: `${at64.metrics.p50Ms} ms`,
      met: (at64.metrics.p50Ms ?? Infinity) <= 1,
    });
  result.notes.push(
    "A fold here is the store's TotalsStore.read: sum-shards-n.lua sums the shard hashes inside Redis (single node: one call; cluster: one call per master, keys grouped by slot owner), plus HGET rejected and totalsFingerprint, measured back to back on one connection; snapshot building and PUBLISH are not included.",
    '"read each shard, sum in Node" is the exact fallback (read-shards-n.lua returns the fold\'s fields of every hash; cluster: one call per shard, sent together) that the fold used before, measured in the same run.',
    "Each shard hash holds 12 fields (totals and 3 registered dimensions); a fold reads only the registered names' fields (at most MAX_CHANNELS + MAX_CATEGORIES), so unregistered fields cost nothing.",
  );
  finishResult(result, started, options.out);
  return result;
}

export function foldCommand() {
  return benchCommand("fold", "cost of one fold read as shards grow, single node and cluster, vs one PING round trip", 4)
    .option("-s, --shards <list>", "shard counts to measure", intList, [16, 64, 256, 1024])
    .option("--no-cluster", "skip the 3-master cluster runs");
}

if (isMain(import.meta.url)) {
  const options = foldCommand().parse().opts<FoldOptions>();
  runMain(() => runFold(options));
}
