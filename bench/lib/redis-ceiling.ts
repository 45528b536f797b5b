// Redis's own ceilings for the counting scripts, measured with redis-benchmark against the same server:
// the single-event script (count-payment-2.lua, one event per call) and the batch script (count-payments-n.lua)
// with the batch size the writer actually used.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { encodeCountCall } from "../../core/store/counters.js";
import { campaignKeys } from "../../core/store/keys.js";
import { luaScripts } from "../../core/store/lua-scripts.generated.js";
import type { RedisServer } from "../../test/support/redis-server.js";
import { hasCommand } from "./cli.js";

const exec = promisify(execFile);
const dedupeTtlSeconds = 2592000;

/** Calls per second of one redis-benchmark run of `requests` commands, or undefined if its output is unparsable. */
async function benchmarkOnce(
  server: RedisServer,
  clients: number,
  pipeline: number,
  requests: number,
  command: string[],
): Promise<number | undefined> {
  const args = [
    "-p",
    String(server.port),
    "-c",
    String(clients),
    "-P",
    String(pipeline),
    "-r",
    "1000000000",
    "-n",
    String(requests),
    "--csv",
  ];
  const { stdout } = await exec("redis-benchmark", [...args, ...command], { timeout: 600_000, maxBuffer: 1 << 20 });
  const row = stdout.trim().split("\n").at(-1) ?? "";
  const rps = Number(row.split(",")[1]?.replaceAll('"', ""));
  return Number.isFinite(rps) && rps > 0 ? rps : undefined;
}

/**
 * redis-benchmark has no duration flag: a short probe (about a tenth of the time at the guessed rate) measures the
 * rate, then the measured run is sized to last about durationSeconds. Each __rand_int__ gets its own random number.
 */
async function timedBenchmark(
  server: RedisServer,
  durationSeconds: number,
  guessPerSecond: number,
  clients: number,
  pipeline: number,
  command: string[],
): Promise<number | undefined> {
  const probe = await benchmarkOnce(
    server,
    clients,
    pipeline,
    Math.max(clients * pipeline * 4, Math.round(guessPerSecond * durationSeconds * 0.1)),
    command,
  );
  if (probe === undefined) return undefined;
  const rps = await benchmarkOnce(
    server,
    clients,
    pipeline,
    Math.max(clients * pipeline * 4, Math.round(probe * durationSeconds)),
    command,
  );
  return rps === undefined ? undefined : Math.round(rps);
}

/**
 * EVALSHA calls per second of the single-event script (50 clients, pipeline 16, random payment ids in one shard),
 * or undefined when redis-benchmark is not installed. One call counts one event.
 */
export async function evalshaCeiling(server: RedisServer, durationSeconds: number, campaign: string): Promise<number | undefined> {
  if (!hasCommand("redis-benchmark")) return undefined;
  const sha = await server.cli("script", "load", luaScripts.countPayment.lua);
  const shard = campaignKeys(campaign, 1).shard(0);
  const args = ["10000", "payment", String(dedupeTtlSeconds), "app", ""];
  const command = ["EVALSHA", sha, "2", shard.seen("__rand_int__"), shard.counters, ...args];
  return timedBenchmark(server, durationSeconds, 150_000, 50, 16, command);
}

/**
 * EVALSHA calls per second of the batch script with `batch` events spread over `shards` shards the way the writer
 * groups them on standalone Redis (one group per shard, random payment ids), or undefined without redis-benchmark.
 * Events per second = calls per second x batch.
 */
export async function batchEvalshaCeiling(
  server: RedisServer,
  durationSeconds: number,
  campaign: string,
  batch: number,
  shards: number,
): Promise<number | undefined> {
  if (!hasCommand("redis-benchmark")) return undefined;
  const sha = await server.cli("script", "load", luaScripts.countPayments.lua);
  const keys = campaignKeys(campaign, shards);
  const sizes = new Map<number, number>();
  for (let i = 0; i < batch; i++) sizes.set(i % shards, (sizes.get(i % shards) ?? 0) + 1);
  const groups = [...sizes.entries()].map(([shard, size]) => ({
    counters: keys.shard(shard).counters,
    seen: Array.from({ length: size }, () => keys.shard(shard).seen("__rand_int__")),
    values: Array.from({ length: size }, () => ["10000", "app", ""]).flat(),
  }));
  const call = encodeCountCall(groups, dedupeTtlSeconds);
  const command = ["EVALSHA", sha, String(call.keys.length), ...call.keys, ...call.args];
  // Few clients: each call already carries a batch, and redis-benchmark shares the machine's cores with Redis.
  return timedBenchmark(server, durationSeconds, 400_000 / batch, 8, 2, command);
}
