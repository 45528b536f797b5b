// The registry of channel and category names counted under their own name (sc:{<campaign>}:channels, :categories;
// admit-dimensions-2.lua): at most MAX_CHANNELS / MAX_CATEGORIES names each, every other name counts in "(other)".
//
// Where the cap lives: the counting script runs on one shard's hash tag ({<campaign>:<shard>}) and cannot read a
// campaign-wide set on Redis Cluster, and a cap per shard would let one name count under itself on some shards and in
// "(other)" on others (and SHARDS times more names in the fold). So the writer consults one campaign-level registry
// before it counts: a name it has not seen costs one script call (batched per flush, at most MAX_* names per writer
// per refresh), after which the choice is local. The choice is stable, which is what keeps counting exact: a name
// once admitted stays admitted, and once a kind is full no name joins it, so a retried event lands in the same bucket.
// The fold reads only the registered names' fields, so its cost is bounded by the caps, not by the hashes' size.
import type { RedisClient } from "../redis.js";
import { registerScripts, runScript } from "./commands.js";
import { campaignKeys } from "./keys.js";

/** The bucket of the names beyond a cap. Parentheses are outside the name rule [A-Za-z0-9_.-]: no real name collides. */
export const otherBucket = "(other)";

export interface DimensionLimits {
  readonly maxChannels: number;
  readonly maxCategories: number;
}

export const defaultDimensionLimits: DimensionLimits = { maxChannels: 100, maxCategories: 100 };

export type DimensionKind = "ch" | "cat";

export interface NamedItem {
  readonly campaign: string;
  readonly channel: string | undefined;
  readonly category: string | undefined;
}

/** The bucket an item's name counts in: the name itself, "(other)" beyond the cap, "" for no name. */
export type BucketOf = (campaign: string, kind: DimensionKind, name: string | undefined) => string;

export interface RegisteredNames {
  readonly channels: readonly string[];
  readonly categories: readonly string[];
}

interface KindState {
  readonly known: Set<string>;
  /** The registry refused a name: it holds its cap, and `known` is its whole content (no name can join any more). */
  full: boolean;
}

interface CampaignState {
  readonly ch: KindState;
  readonly cat: KindState;
  readonly loadedAtMs: number;
}

/** A rebuild clears the registry: a writer forgets what it knows this often (and at once when it meets a fence). */
const refreshMs = 60_000;
const maxCampaigns = 16;

/** Both registries of a campaign, for the fold: at most the caps' worth of names. */
export async function readRegisteredNames(redis: RedisClient, campaign: string, shards: number): Promise<RegisteredNames> {
  const keys = campaignKeys(campaign, shards);
  const [channels, categories] = await Promise.all([redis.smembers(keys.channelNames), redis.smembers(keys.categoryNames)]);
  return { channels, categories };
}

export class DimensionRegistry {
  private readonly campaigns = new Map<string, CampaignState>();

  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
    readonly limits: DimensionLimits = defaultDimensionLimits,
  ) {
    registerScripts(redis);
    for (const cap of [limits.maxChannels, limits.maxCategories])
      if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`dimension caps must be positive integers, got ${cap}`);
  }

  /** Admits the items' names not seen yet (one script call per campaign), then answers each name's bucket. */
  async resolve(items: Iterable<NamedItem>): Promise<BucketOf> {
    const states = new Map<string, CampaignState>();
    const unseen = new Map<string, Map<string, [DimensionKind, string]>>();
    const consider = (campaign: string, state: CampaignState, kind: DimensionKind, name: string | undefined) => {
      if (name === undefined || name === "" || state[kind].known.has(name) || state[kind].full) return;
      let pairs = unseen.get(campaign);
      if (pairs === undefined) {
        pairs = new Map();
        unseen.set(campaign, pairs);
      }
      pairs.set(`${kind}:${name}`, [kind, name]);
    };
    for (const item of items) {
      let state = states.get(item.campaign);
      if (state === undefined) {
        state = this.stateOf(item.campaign);
        states.set(item.campaign, state);
      }
      consider(item.campaign, state, "ch", item.channel);
      consider(item.campaign, state, "cat", item.category);
    }
    await Promise.all([...unseen].map(([campaign, pairs]) => this.admit(campaign, states.get(campaign)!, [...pairs.values()])));
    return (campaign, kind, name) => {
      if (name === undefined || name === "") return "";
      return states.get(campaign)?.[kind].known.has(name) ? name : otherBucket;
    };
  }

  /** Drops what this writer knows of a campaign's registry (a rebuild cleared it). */
  forget(campaign: string): void {
    this.campaigns.delete(campaign);
  }

  /** Deletes a campaign's registry (a rebuild replays the export into an empty one). */
  async clear(campaign: string): Promise<void> {
    const keys = campaignKeys(campaign, this.shards);
    await this.redis.del(keys.channelNames, keys.categoryNames);
    this.forget(campaign);
  }

  private stateOf(campaign: string): CampaignState {
    const cached = this.campaigns.get(campaign);
    if (cached !== undefined && Date.now() - cached.loadedAtMs < refreshMs) return cached;
    const fresh: CampaignState = { ch: { known: new Set(), full: false }, cat: { known: new Set(), full: false }, loadedAtMs: Date.now() };
    if (this.campaigns.size >= maxCampaigns) this.campaigns.clear();
    this.campaigns.set(campaign, fresh);
    return fresh;
  }

  private async admit(campaign: string, state: CampaignState, pairs: ReadonlyArray<[DimensionKind, string]>): Promise<void> {
    const keys = campaignKeys(campaign, this.shards);
    const answers = await runScript<number[]>(
      this.redis,
      "admitDimensions",
      [keys.channelNames, keys.categoryNames],
      [this.limits.maxChannels, this.limits.maxCategories, ...pairs.flat()],
    );
    const filled = new Set<DimensionKind>();
    pairs.forEach(([kind, name], i) => {
      if (answers[i] === 1) state[kind].known.add(name);
      else filled.add(kind);
    });
    // A refusal means the set is full for good: learn its whole content once, then decide every name locally.
    for (const kind of filled) {
      const members = await this.redis.smembers(kind === "ch" ? keys.channelNames : keys.categoryNames);
      for (const name of members) state[kind].known.add(name);
      state[kind].full = true;
    }
  }
}
