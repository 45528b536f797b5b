// Reads the campaign totals from the shard counter hashes, exactly (BigInt: sums pass 2^53 in a big sale), and owns
// the codec of their fields: net, gross, count, refunded, refunds, dups, ch:<name>:a|n, cat:<name>:a|n.
import type { Cluster } from "ioredis";
import { isCluster, type RedisClient } from "../redis.js";
import { ClusterSlots } from "./cluster-slots.js";
import { registerScripts, runScript } from "./commands.js";
import { otherBucket, type RegisteredNames, readRegisteredNames } from "./dimension-registry.js";
import { CorruptCounterError } from "./errors.js";
import { campaignKeys } from "./keys.js";

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
const scalarList: readonly ScalarField[] = ["net", "gross", "count", "refunded", "refunds", "dups"];
const scalarFields = new Set<string>(scalarList);

/**
 * The fields a fold reads: the totals, the registered names' dimension fields and the other buckets. Fields of names
 * not registered (past the cap, or written by an older version) are never read, so a fold costs at most
 * 6 + 4 x (MAX_CHANNELS + MAX_CATEGORIES + 1) field reads per shard, whatever the hashes hold.
 */
export function foldFields(names: RegisteredNames): string[] {
  const fields: string[] = [...scalarList];
  for (const name of [...names.channels, otherBucket]) fields.push(`ch:${name}:a`, `ch:${name}:n`);
  for (const name of [...names.categories, otherBucket]) fields.push(`cat:${name}:a`, `cat:${name}:n`);
  return fields;
}

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

/** Parses one hash as read-shards-n.lua and sum-shards-n.lua answer it: fields and values joined by "\n". */
export function parseJoinedHash(joined: string): Record<string, string> {
  const hash: Record<string, string> = {};
  if (joined === "") return hash;
  const parts = joined.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) hash[parts[i]!] = parts[i + 1]!;
  return hash;
}

export class TotalsStore {
  private readonly slots: ClusterSlots | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
    this.slots = isCluster(redis) ? new ClusterSlots(redis as Cluster) : undefined;
  }

  /**
   * The campaign totals and the rejected stat: summed inside Redis in one round trip (per master on a cluster), or,
   * when that cannot be exact (a value past what a double holds exactly, a corrupt field, a moved slot), read shard
   * by shard and summed here with BigInt, which also names a corrupt field.
   */
  async read(campaign: string): Promise<CounterTotals> {
    const keys = campaignKeys(campaign, this.shards);
    const [names, rejected] = await Promise.all([
      readRegisteredNames(this.redis, campaign, this.shards),
      this.redis.hget(keys.stats, "rejected"),
    ]);
    const fields = foldFields(names);
    const summed = await this.sumInRedis(keys.shardCounters, fields);
    if (summed !== undefined)
      return sumShards(
        summed.map((_, i) => `shards summed in Redis (${i + 1})`),
        summed,
        rejected,
      );
    return sumShards(keys.shardCounters, await this.readEachShard(campaign, fields), rejected);
  }

  /**
   * The fold's fields (foldFields; read from the registry when not given) of every shard hash, in shard order:
   * standalone in one script call, cluster with one call per shard.
   */
  async readEachShard(campaign: string, fields?: readonly string[]): Promise<Record<string, string>[]> {
    const shardKeys = campaignKeys(campaign, this.shards).shardCounters;
    const wanted = fields ?? foldFields(await readRegisteredNames(this.redis, campaign, this.shards));
    const joined = isCluster(this.redis)
      ? await Promise.all(shardKeys.map((key) => runScript<string[]>(this.redis, "readShards", [key], wanted).then((r) => r[0] ?? "")))
      : await runScript<string[]>(this.redis, "readShards", shardKeys, wanted);
    return joined.map(parseJoinedHash);
  }

  /**
   * sum-shards-n.lua: one short reply per node whatever the shard count, so a fold costs Redis walking the hashes,
   * not the client parsing them. Cluster: one call per master with the keys it serves (the first key routes it).
   */
  private async sumInRedis(shardKeys: readonly string[], fields: readonly string[]): Promise<Record<string, string>[] | undefined> {
    if (this.slots === undefined) {
      const joined = await runScript<string | null>(this.redis, "sumShards", shardKeys, [0, ...fields]);
      return joined === null ? undefined : [parseJoinedHash(joined)];
    }
    const groups = await this.slots.groupByMaster(shardKeys).catch(() => undefined);
    if (groups === undefined) return undefined;
    const failed = Symbol("failed");
    const sums = await Promise.all(
      groups.map(([first, ...rest]) =>
        runScript<string | null>(this.redis, "sumShards", [first!], [rest.length, ...rest, ...fields]).catch(() => failed as typeof failed),
      ),
    );
    // A failed call: the map is out of date (a slot moved, a replica was promoted); ask for it again next time.
    if (sums.includes(failed)) this.slots.invalidate();
    if (sums.some((joined) => typeof joined !== "string")) return undefined;
    return sums.map((joined) => parseJoinedHash(joined as string));
  }
}
