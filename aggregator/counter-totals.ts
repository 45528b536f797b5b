// Sums the shard counter hashes into campaign totals, exactly, with BigInt (sums pass 2^53 in a big sale).
import calculateSlot from "cluster-key-slot";
import type { CampaignKeys } from "../core/keys.js";
import { isCluster, type RedisClient } from "../core/redis.js";
import { CorruptCounterError, FoldReadError } from "./errors.js";

export interface DimensionSum {
  /** Net amount in minor units. */
  amount: bigint;
  /** Payments counted (refunds excluded). */
  count: bigint;
}

export interface CounterTotals {
  net: bigint;
  gross: bigint;
  count: bigint;
  refunded: bigint;
  refunds: bigint;
  dups: bigint;
  rejected: bigint;
  readonly channels: Map<string, DimensionSum>;
  readonly categories: Map<string, DimensionSum>;
}

type ScalarField = "net" | "gross" | "count" | "refunded" | "refunds" | "dups";
const scalarFields = new Set<string>(["net", "gross", "count", "refunded", "refunds", "dups"]);

export function emptyTotals(): CounterTotals {
  return { net: 0n, gross: 0n, count: 0n, refunded: 0n, refunds: 0n, dups: 0n, rejected: 0n, channels: new Map(), categories: new Map() };
}

function toBigInt(key: string, field: string, value: string): bigint {
  // BigInt("") is 0n and BigInt("1.5") throws: accept only what HINCRBY can have written.
  if (!/^-?\d+$/.test(value)) throw new CorruptCounterError(key, field, value);
  return BigInt(value);
}

function addDimension(map: Map<string, DimensionSum>, name: string, kind: string, value: bigint): void {
  let sum = map.get(name);
  if (sum === undefined) {
    sum = { amount: 0n, count: 0n };
    map.set(name, sum);
  }
  if (kind === "a") sum.amount += value;
  else sum.count += value;
}

/** Adds one shard hash (from HGETALL) into the totals. Unknown fields are ignored, so newer scripts can add some. */
export function addShard(totals: CounterTotals, key: string, hash: Readonly<Record<string, string>>): void {
  for (const [field, raw] of Object.entries(hash)) {
    if (scalarFields.has(field)) {
      totals[field as ScalarField] += toBigInt(key, field, raw);
      continue;
    }
    // ch:<name>:a / ch:<name>:n; the name itself may contain colons, so cut only at the ends.
    const kind = field.slice(-1);
    if (field.at(-2) !== ":" || (kind !== "a" && kind !== "n")) continue;
    if (field.startsWith("ch:")) addDimension(totals.channels, field.slice(3, -2), kind, toBigInt(key, field, raw));
    else if (field.startsWith("cat:")) addDimension(totals.categories, field.slice(4, -2), kind, toBigInt(key, field, raw));
  }
}

/** Sums shard hashes (in shard order, as read) plus the rejected-events stat. */
export function sumShards(
  keys: readonly string[],
  hashes: ReadonlyArray<Readonly<Record<string, string>>>,
  rejected: string | null,
): CounterTotals {
  const totals = emptyTotals();
  for (const [i, hash] of hashes.entries()) addShard(totals, keys[i] ?? `shard ${i}`, hash);
  if (rejected !== null) totals.rejected = toBigInt("stats", "rejected", rejected);
  return totals;
}

/** Parses one shard from read-shards-n.lua: fields and values joined by "\n". */
export function parseJoinedHash(joined: string): Record<string, string> {
  const hash: Record<string, string> = {};
  if (joined === "") return hash;
  const parts = joined.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) hash[parts[i]!] = parts[i + 1]!;
  return hash;
}

/**
 * Sums every shard inside Redis (sum-shards-n.lua): one short reply per node whatever the shard count, so the
 * fold's cost is Redis walking the hashes, not the client parsing them. Standalone: one call with every key.
 * Cluster: one call per master with the keys it serves (grouped by the client's slot map). Resolves undefined
 * when the sum cannot be done there (a value past what a double holds exactly, a corrupt field, a moved slot):
 * the caller then reads shard by shard.
 */
async function sumInRedis(redis: RedisClient, shardKeys: readonly string[]): Promise<Record<string, string>[] | undefined> {
  if (!isCluster(redis)) {
    const joined = await redis.scSumShardsV1(shardKeys.length, ...shardKeys);
    return joined === null ? undefined : [parseJoinedHash(joined)];
  }
  const byNode = new Map<string, string[]>();
  for (const key of shardKeys) {
    const node = redis.slots[calculateSlot(key)]?.[0];
    if (node === undefined) return undefined;
    const group = byNode.get(node);
    if (group) group.push(key);
    else byNode.set(node, [key]);
  }
  const sums = await Promise.all(
    [...byNode.values()].map(([first, ...rest]) => redis.scSumShardsV1(1, first as string, ...rest).catch(() => null)),
  );
  return sums.every((joined) => joined !== null) ? sums.map((joined) => parseJoinedHash(joined as string)) : undefined;
}

/** Reads every shard hash, exact with BigInt: standalone in one script call, cluster with one HGETALL per shard. */
export async function readEachShard(redis: RedisClient, shardKeys: readonly string[]): Promise<Record<string, string>[]> {
  if (isCluster(redis)) return Promise.all(shardKeys.map((key) => redis.hgetall(key)));
  const joined = await redis.scReadShardsV1(shardKeys.length, ...shardKeys);
  return joined.map(parseJoinedHash);
}

/**
 * Reads the campaign totals and the rejected stat: summed inside Redis in one round trip (per node), or, when
 * that cannot be exact, shard by shard and summed here with BigInt.
 */
export async function readCounterTotals(redis: RedisClient, keys: CampaignKeys): Promise<CounterTotals> {
  const shardKeys = keys.shardCounters;
  let hashes: Record<string, string>[];
  let labels: readonly string[];
  let rejected: string | null;
  try {
    let summed: Record<string, string>[] | undefined;
    [summed, rejected] = await Promise.all([sumInRedis(redis, shardKeys), redis.hget(keys.stats, "rejected")]);
    if (summed !== undefined) {
      hashes = summed;
      labels = summed.map((_, i) => `shards summed in Redis (${i + 1})`);
    } else {
      hashes = await readEachShard(redis, shardKeys);
      labels = shardKeys;
    }
  } catch (err) {
    throw new FoldReadError(err);
  }
  return sumShards(labels, hashes, rejected);
}

function dimensionsFingerprint(map: ReadonlyMap<string, DimensionSum>): string {
  return [...map.entries()]
    .map(([name, sum]) => `${name}=${sum.amount}/${sum.count}`)
    .sort()
    .join(",");
}

/** A string that changes whenever any counter changes: decides whether a fold has something new to publish. */
export function totalsFingerprint(t: CounterTotals): string {
  return [
    t.net,
    t.gross,
    t.count,
    t.refunded,
    t.refunds,
    t.dups,
    t.rejected,
    dimensionsFingerprint(t.channels),
    dimensionsFingerprint(t.categories),
  ].join("|");
}
