// Counting payments into the shard counters: the argument codec of count-payments-n.lua and the call layout per topology.
import { isCluster, type RedisClient } from "../redis.js";
import { shardOf } from "../shard.js";
import { registerScripts, runScript } from "./commands.js";
import { UnexpectedReplyError } from "./errors.js";
import { type CampaignKeys, campaignKeys } from "./keys.js";

/** One event to count. */
export interface CountItem {
  readonly campaign: string;
  readonly paymentId: string;
  /** Minor units, negative for a refund; 1 <= |amount| <= 10^12. */
  readonly signedAmount: number;
  readonly channel: string | undefined;
  readonly category: string | undefined;
}

/** counted: first delivery; duplicate: same id and signed amount counted before; conflict: same id, other amount or kind. */
export type CountOutcome = "counted" | "duplicate" | "conflict";

/** The script's own limit (count-payments-n.lua): it keeps sums of up to 4096 amounts of 10^12 exact. */
export const maxEventsPerScriptCall = 4096;

const outcomes: Readonly<Record<number, CountOutcome>> = { 1: "counted", 0: "duplicate", [-1]: "conflict" };

/** One group of a count-payments call: a shard counters hash and its events' dedupe keys and values. */
export interface CountGroup {
  readonly counters: string;
  readonly events: ReadonlyArray<{
    readonly seen: string;
    readonly signedAmount: number | string;
    readonly channel?: string;
    readonly category?: string;
  }>;
}

/** The KEYS and ARGV of count-payments-n.lua for these groups (see its header): the one encoder of that protocol. */
export function encodeCountCall(groups: readonly CountGroup[], dedupeTtlSeconds: number): { keys: string[]; args: string[] } {
  const keys = groups.map((g) => g.counters);
  const values: string[] = [];
  for (const group of groups)
    for (const e of group.events) {
      keys.push(e.seen);
      values.push(String(e.signedAmount), e.channel ?? "", e.category ?? "");
    }
  return { keys, args: [String(dedupeTtlSeconds), String(groups.length), ...groups.map((g) => String(g.events.length)), ...values] };
}

export class CounterStore {
  private readonly cluster: boolean;
  private lastCampaign = "";
  private lastKeys: CampaignKeys | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly shards: number,
    private readonly dedupeTtlSeconds: number,
  ) {
    registerScripts(redis);
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
    this.cluster = isCluster(redis);
  }

  /**
   * Splits entries into the script calls this topology needs: on a single node one call carries every shard, on a
   * cluster a script runs in one slot, so one call per shard. Each group keeps its entries' order.
   */
  callGroups<T>(entries: readonly T[], itemOf: (entry: T) => CountItem): T[][] {
    if (!this.cluster) return entries.length === 0 ? [] : [entries.slice()];
    const groups = new Map<string, T[]>();
    for (const entry of entries) {
      const counters = this.shardKeys(itemOf(entry)).counters;
      const group = groups.get(counters);
      if (group) group.push(entry);
      else groups.set(counters, [entry]);
    }
    return [...groups.values()];
  }

  /** One script call: counts the items (one call group, see callGroups) and answers an outcome per item, in order. */
  async count(items: readonly CountItem[]): Promise<CountOutcome[]> {
    if (items.length === 0) return [];
    if (items.length > maxEventsPerScriptCall)
      throw new RangeError(`at most ${maxEventsPerScriptCall} events per call, got ${items.length}`);
    // The script takes the events group by group (one group per shard hash): order them so, and map the answers back.
    const byShard = new Map<string, number[]>();
    items.forEach((item, i) => {
      const counters = this.shardKeys(item).counters;
      const group = byShard.get(counters);
      if (group) group.push(i);
      else byShard.set(counters, [i]);
    });
    const groups = [...byShard.entries()].map(([counters, indexes]) => ({
      counters,
      events: indexes.map((i) => {
        const item = items[i]!;
        return { seen: this.shardKeys(item).seen(item.paymentId), ...item };
      }),
    }));
    const order = [...byShard.values()].flat();
    const { keys, args } = encodeCountCall(groups, this.dedupeTtlSeconds);
    const results = await runScript<number[]>(this.redis, "countPayments", keys, args);
    if (!Array.isArray(results) || results.length !== items.length)
      throw new UnexpectedReplyError(
        `count-payments script returned ${Array.isArray(results) ? results.length : typeof results} results for ${items.length} events`,
      );
    const answer = new Array<CountOutcome>(items.length);
    order.forEach((itemIndex, position) => {
      const outcome = outcomes[results[position]!];
      if (outcome === undefined) throw new UnexpectedReplyError(`count-payments script returned unexpected ${results[position]}`);
      answer[itemIndex] = outcome;
    });
    return answer;
  }

  /** True while the connection is up: a failed call then failed on its own, not because Redis is unreachable. */
  connected(): boolean {
    return this.redis.status === "ready";
  }

  /** Adds events rejected by validation to the campaign's stats (the dashboard and metrics show them). */
  async recordRejected(campaign: string, rejected: number): Promise<void> {
    if (rejected > 0) await this.redis.hincrby(this.keysOf(campaign).stats, "rejected", rejected);
  }

  private shardKeys(item: CountItem) {
    return this.keysOf(item.campaign).shard(shardOf(item.paymentId, this.shards));
  }

  private keysOf(campaign: string): CampaignKeys {
    if (campaign !== this.lastCampaign || this.lastKeys === undefined) {
      this.lastKeys = campaignKeys(campaign, this.shards);
      this.lastCampaign = campaign;
    }
    return this.lastKeys;
  }
}
