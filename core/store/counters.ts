// Counting payments into the shard counters: the argument codec of count-payments-n.lua and the call layout per topology.
import { isCluster, type RedisClient } from "../redis.js";
import { shardOf } from "../shard.js";
import { queueScript, registerScripts, runScript } from "./commands.js";
import { UnexpectedReplyError } from "./errors.js";
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
}

/** counted: first delivery; duplicate: same id and signed amount counted before; conflict: same id, other amount or kind. */
export type CountOutcome = "counted" | "duplicate" | "conflict";

/** The script's own limit (count-payments-n.lua): it keeps sums of up to 4096 amounts of 10^12 exact. */
export const maxEventsPerScriptCall = 4096;

const outcomes: Readonly<Record<number, CountOutcome>> = { 1: "counted", 0: "duplicate", [-1]: "conflict" };

/** One group of a count-payments call: a shard counters hash, its events' dedupe keys, and 3 values per event. */
export interface CountGroup {
  readonly counters: string;
  readonly seen: readonly string[];
  /** Signed amount (decimal), channel ("" for none), category ("" for none), per event in the order of `seen`. */
  readonly values: readonly string[];
}

/** The KEYS and ARGV of count-payments-n.lua for these groups (see its header): the one encoder of that protocol. */
export function encodeCountCall(groups: readonly CountGroup[], dedupeTtlSeconds: number): { keys: string[]; args: string[] } {
  const keys = groups.map((g) => g.counters);
  const args = [String(dedupeTtlSeconds), String(groups.length)];
  for (const g of groups) {
    keys.push(...g.seen);
    args.push(String(g.seen.length));
  }
  for (const g of groups) args.push(...g.values);
  return { keys, args };
}

const clusterRedirect = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN) /;

export class CounterStore {
  private readonly cluster: boolean;
  private lastCampaign = "";
  private lastKeys: CampaignKeys | undefined;
  private readonly replicaWait: ReplicaWait | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly shards: number,
    private readonly dedupeTtlSeconds: number,
    /** WAIT for replicas after each count (REDIS_WAIT_REPLICAS > 0): a count is answered only once they hold it. */
    replication?: ReplicaWaitOptions,
  ) {
    registerScripts(redis);
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
    this.cluster = isCluster(redis);
    this.replicaWait = replication && replication.replicas > 0 ? new ReplicaWait(redis, replication) : undefined;
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
      group.values.push(String(item.signedAmount), item.channel ?? "", item.category ?? "");
      group.indexes.push(i);
    }
    const { keys, args } = encodeCountCall([...groups.values()], this.dedupeTtlSeconds);
    const results = await this.runCount(keys, args);
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
