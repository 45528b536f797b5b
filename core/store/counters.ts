// Counting payments into the shard counters: the argument codec of count-payments-n.lua and the call layout per topology.
import { isCluster, type RedisClient } from "../redis.js";
import { shardOf } from "../shard.js";
import { queueScript, registerScripts, runScript } from "./commands.js";
import { type DimensionLimits, DimensionRegistry } from "./dimension-registry.js";
import { CountersFencedError, UnexpectedReplyError } from "./errors.js";
import { type CampaignKeys, campaignKeys } from "./keys.js";
import { ReplicaWait, type ReplicaWaitOptions } from "./replica-wait.js";

/** One event to count. */
export interface CountItem {
  readonly campaign: string;
  readonly paymentId: string;
  /** Minor units, negative for a refund; 1 <= |amount| <= 10^12. */
  readonly signedAmount: number;
  readonly channel: string | undefined;
  readonly category: string | undefined;
  /** The shard: CounterStore.shardOf(paymentId), computed once per event by the caller. */
  readonly shard: number;
  /**
   * A token unique to this event in this caller's request, written into the dedupe mark: when a reply is lost (a
   * timeout) and the same attempt is sent again, the script recognises its own mark and answers "counted".
   */
  readonly attempt?: string;
}

/** counted: first delivery; duplicate: same id and signed amount counted before; conflict: same id, other amount or kind. */
export type CountOutcome = "counted" | "duplicate" | "conflict";

/** The script's own limit (count-payments-n.lua): it keeps sums of up to 4096 amounts of 10^12 exact. */
export const maxEventsPerScriptCall = 4096;

/** 2: counted before by this same attempt (its reply was lost); to the caller that is "counted". */
const outcomes: Readonly<Record<number, CountOutcome>> = { 1: "counted", 2: "counted", 0: "duplicate", [-1]: "conflict" };

/** One group of a count-payments call: a shard counters hash, its events' dedupe keys, and 3 values per event. */
export interface CountGroup {
  readonly counters: string;
  readonly seen: readonly string[];
  /** Mark (signed amount, optionally ":<attempt>"), channel ("" for none), category ("" for none), per event. */
  readonly values: readonly string[];
}

/** The dedupe mark of an event: its signed amount, then ":<attempt>" when the writer gave one (see CountItem.attempt). */
export function markOf(signedAmount: number, attempt: string | undefined): string {
  return attempt === undefined ? String(signedAmount) : `${signedAmount}:${attempt}`;
}

/** The signed amount a dedupe mark holds (written with or without an attempt token), or undefined if it is not a mark. */
export function amountOfMark(mark: string): bigint | undefined {
  const match = /^(-?\d+)(?::.*)?$/.exec(mark);
  return match ? BigInt(match[1]!) : undefined;
}

/**
 * The KEYS and ARGV of count-payments-n.lua for these groups (see its header): the one encoder of that protocol.
 * `fencePass` is "" for ingest, or the token of the rebuild that fenced the shards and replays into them.
 */
export function encodeCountCall(
  groups: readonly CountGroup[],
  dedupeTtlSeconds: number,
  fencePass = "",
): { keys: string[]; args: string[] } {
  const keys = groups.map((g) => g.counters);
  const args = [String(dedupeTtlSeconds), String(groups.length), fencePass];
  for (const g of groups) {
    keys.push(...g.seen);
    args.push(String(g.seen.length));
  }
  for (const g of groups) args.push(...g.values);
  return { keys, args };
}

const clusterRedirect = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN) /;

export interface CounterStoreOptions extends Partial<ReplicaWaitOptions> {
  /** Caps on distinct channel and category names (MAX_CHANNELS, MAX_CATEGORIES); beyond them "(other)". */
  readonly limits?: DimensionLimits;
  /** The token of the rebuild whose fence this store may count through (reconcile --rebuild only). */
  readonly fencePass?: string;
}

export class CounterStore {
  private readonly cluster: boolean;
  private readonly registry: DimensionRegistry;
  private readonly fencePass: string;
  private lastCampaign = "";
  private lastKeys: CampaignKeys | undefined;
  private readonly replicaWait: ReplicaWait | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly shards: number,
    private readonly dedupeTtlSeconds: number,
    /** Name caps, the rebuild fence pass, and WAIT for replicas after each count (replicas > 0). */
    private readonly options: CounterStoreOptions = {},
  ) {
    registerScripts(redis);
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
    this.cluster = isCluster(redis);
    this.replicaWait =
      options.replicas !== undefined && options.replicas > 0
        ? new ReplicaWait(redis, {
            replicas: options.replicas,
            timeoutMs: options.timeoutMs ?? 250,
            onUnreplicated: options.onUnreplicated,
          })
        : undefined;
    this.registry = new DimensionRegistry(redis, shards, options.limits);
    this.fencePass = options.fencePass ?? "";
  }

  /** The same store counting through the fence of the rebuild holding `token` (only that rebuild's replay uses it). */
  withFencePass(token: string): CounterStore {
    return new CounterStore(this.redis, this.shards, this.dedupeTtlSeconds, { ...this.options, fencePass: token });
  }

  /** The campaign's registry of dimension names (the rebuild clears it). */
  get dimensions(): DimensionRegistry {
    return this.registry;
  }

  /** FNV-1a(paymentId) mod shards: where an event is counted (and deduplicated). */
  shardOf(paymentId: string): number {
    return shardOf(paymentId, this.shards);
  }

  /**
   * Splits entries into the script calls this topology needs: on a single node one call carries every shard, on a
   * cluster a script runs in one slot, so one call per shard. Each group keeps its entries' order.
   */
  callGroups<T>(entries: readonly T[], itemOf: (entry: T) => CountItem): T[][] {
    if (!this.cluster) return entries.length === 0 ? [] : [entries.slice()];
    const groups = new Map<string, T[]>();
    for (const entry of entries) {
      const key = this.groupKey(itemOf(entry));
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    return [...groups.values()];
  }

  /** One script call: counts the items (one call group, see callGroups) and answers an outcome per item, in order. */
  async count(items: readonly CountItem[]): Promise<CountOutcome[]> {
    if (items.length === 0) return [];
    if (items.length > maxEventsPerScriptCall)
      throw new RangeError(`at most ${maxEventsPerScriptCall} events per call, got ${items.length}`);
    const bucketOf = await this.registry.resolve(items);
    // The script takes the events group by group (one group per shard hash): order them so, and map the answers back.
    const groups = new Map<string, { counters: string; seen: string[]; values: string[]; indexes: number[] }>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const shard = this.keysOf(item.campaign).shard(item.shard);
      let group = groups.get(shard.counters);
      if (group === undefined) {
        group = { counters: shard.counters, seen: [], values: [], indexes: [] };
        groups.set(shard.counters, group);
      }
      group.seen.push(shard.seen(item.paymentId));
      group.values.push(
        markOf(item.signedAmount, item.attempt),
        bucketOf(item.campaign, "ch", item.channel),
        bucketOf(item.campaign, "cat", item.category),
      );
      group.indexes.push(i);
    }
    const { keys, args } = encodeCountCall([...groups.values()], this.dedupeTtlSeconds, this.fencePass);
    const results = await this.runCount(keys, args).catch((err: unknown) => {
      // The script's own refusal: Redis replies "REBUILDING <message>" (an error reply), nothing was written.
      if (!(err instanceof Error && err.message.startsWith("REBUILDING"))) throw err;
      // A rebuild clears the name registry too: learn it again afterwards.
      for (const item of items) this.registry.forget(item.campaign);
      throw new CountersFencedError(err.message);
    });
    if (!Array.isArray(results) || results.length !== items.length)
      throw new UnexpectedReplyError(
        `count-payments script returned ${Array.isArray(results) ? results.length : typeof results} results for ${items.length} events`,
      );
    const answer = new Array<CountOutcome>(items.length);
    let position = 0;
    for (const group of groups.values())
      for (const itemIndex of group.indexes) {
        const outcome = outcomes[results[position]!];
        if (outcome === undefined) throw new UnexpectedReplyError(`count-payments script returned unexpected ${results[position]}`);
        answer[itemIndex] = outcome;
        position++;
      }
    return answer;
  }

  /**
   * The count script, then (with REDIS_WAIT_REPLICAS) WAIT in the same pipeline, so it runs on the connection that
   * wrote. Every call writes (a duplicate still increments `dups`), so WAIT also covers an earlier delivery of the same
   * payment by another connection: the replica that confirms this write holds everything before it.
   */
  private async runCount(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const wait = this.replicaWait;
    const routing = keys[0]!;
    if (wait === undefined || !wait.shouldWait(routing)) return runScript<number[]>(this.redis, "countPayments", keys, args);
    const pipeline = this.redis.pipeline();
    queueScript(pipeline, "countPayments", keys, args);
    pipeline.wait(wait.options.replicas, wait.options.timeoutMs);
    const [counted, waited] = (await pipeline.exec()) ?? [];
    const scriptError = counted?.[0];
    if (scriptError) {
      // A pipeline with WAIT is not retried on a redirect by ioredis: learn the new slot owners for the next call.
      if (isCluster(this.redis) && clusterRedirect.test(scriptError.message)) this.redis.refreshSlotsCache();
      throw scriptError;
    }
    if (waited?.[0]) throw waited[0];
    await wait.confirm(Number(waited?.[1] ?? 0), routing);
    return counted?.[1];
  }

  /** True while the connection is up: a failed call then failed on its own, not because Redis is unreachable. */
  connected(): boolean {
    return this.redis.status === "ready";
  }

  /** Adds events rejected by validation to the campaign's stats (the dashboard and metrics show them). */
  async recordRejected(campaign: string, rejected: number): Promise<void> {
    if (rejected > 0) await this.redis.hincrby(this.keysOf(campaign).stats, "rejected", rejected);
  }

  /** The counters key of the item's shard: what decides its cluster slot. */
  private groupKey(item: CountItem): string {
    return this.keysOf(item.campaign).shard(item.shard).counters;
  }

  private keysOf(campaign: string): CampaignKeys {
    if (campaign !== this.lastCampaign || this.lastKeys === undefined) {
      this.lastKeys = campaignKeys(campaign, this.shards);
      this.lastCampaign = campaign;
    }
    return this.lastKeys;
  }
}
