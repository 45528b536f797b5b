// Every Redis key and channel name is built here, and nowhere else: only the store layer (core/store/) imports this.
// The layout is documented in docs/architecture.md ("Redis layout").
//
// Layout (campaign "bf", shard 17):
//   sc:{bf:17}:c            HASH  shard counters: net, count, refunded, refunds, dups, ch:<name>:n/:a, cat:<name>:n/:a,
//                                 and fence (a rebuild's token while it rebuilds the shard)
//   sc:{bf:17}:seen:<id>    STRING dedupe mark for one paymentId (SET NX EX), value = signed amount[:attempt token]
//   sc:{bf}:meta            HASH  epoch, seq, the published mark, good/goodSeq, rebuilding (the epoch a rebuild writes), rebuildToken / rebuildFrom (the rebuild under way)
//   sc:{bf}:channels        SET   channel names counted under their own name (at most MAX_CHANNELS)
//   sc:{bf}:categories      SET   category names counted under their own name (at most MAX_CATEGORIES)
//   sc:{bf}:latest          STRING latest snapshot JSON
//   sc:{bf}:leader          STRING aggregator lease owner (SET NX PX)
//   sc:{bf}:snapshots       pub/sub channel for snapshots
//   sc:{bf}:stats           HASH  rejected events etc.
//   sc:{bf}:history         HASH  s:<unix second> / m:<minute start> -> "<total>,<count>"
//   sc:{bf}:milestones      HASH  <threshold> -> milestone JSON
//   sc:{bf}:notifications   HASH  <target>:<threshold> -> delivery state JSON (the outbox's bookkeeping)
//   sc:{bf}:outbox:<target> ZSET  <threshold> scored by when its delivery is due (unix ms); removed after success
//   sc:{bf}:dead-letters    LIST  records that can never be counted, newest first
// Keys one Lua script touches share a hash tag, so every script runs on Redis Cluster.

export interface ShardKeys {
  readonly counters: string;
  seen(paymentId: string): string;
}

export interface CampaignKeys {
  readonly campaign: string;
  readonly meta: string;
  readonly latest: string;
  readonly leader: string;
  readonly snapshots: string;
  readonly stats: string;
  readonly history: string;
  readonly milestones: string;
  readonly notifications: string;
  /** The outbox of one delivery target ("webhook", "function"). */
  outbox(target: string): string;
  readonly deadLetters: string;
  /** The registry of channel names counted under their own name (the rest go to the other bucket). */
  readonly channelNames: string;
  /** The same for category names. */
  readonly categoryNames: string;
  shard(index: number): ShardKeys;
  /** Counter keys of all shards, in shard order. */
  readonly shardCounters: readonly string[];
}

const cache = new Map<string, CampaignKeys>();
const maxCachedCampaigns = 256;

export function campaignKeys(campaign: string, shards: number): CampaignKeys {
  const cacheKey = `${campaign}/${shards}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const tag = `sc:{${campaign}}`;
  // Built on first use: the broadcaster makes keys for campaign names taken from requests and needs no shard keys.
  let shardKeys: ShardKeys[] | undefined;
  const allShards = (): ShardKeys[] => {
    if (shardKeys === undefined) {
      shardKeys = [];
      for (let i = 0; i < shards; i++) {
        const prefix = `sc:{${campaign}:${i}}`;
        const seenPrefix = `${prefix}:seen:`;
        shardKeys.push({ counters: `${prefix}:c`, seen: (paymentId) => seenPrefix + paymentId });
      }
    }
    return shardKeys;
  };
  let shardCounters: readonly string[] | undefined;
  const keys: CampaignKeys = {
    campaign,
    meta: `${tag}:meta`,
    latest: `${tag}:latest`,
    leader: `${tag}:leader`,
    snapshots: `${tag}:snapshots`,
    stats: `${tag}:stats`,
    history: `${tag}:history`,
    milestones: `${tag}:milestones`,
    notifications: `${tag}:notifications`,
    outbox: (target) => `${tag}:outbox:${target}`,
    deadLetters: `${tag}:dead-letters`,
    channelNames: `${tag}:channels`,
    categoryNames: `${tag}:categories`,
    shard(index) {
      const keys = allShards()[index];
      if (keys === undefined) throw new RangeError(`shard ${index} is outside 0..${shards - 1}`);
      return keys;
    },
    get shardCounters() {
      shardCounters ??= allShards().map((s) => s.counters);
      return shardCounters;
    },
  };
  // Bounded: the broadcaster builds keys for campaign names taken from requests (?campaign=).
  if (cache.size >= maxCachedCampaigns) cache.clear();
  cache.set(cacheKey, keys);
  return keys;
}

/** Pattern matching the snapshot channel of every campaign (for PSUBSCRIBE). */
export const allSnapshotChannels = "sc:{*}:snapshots";

/** Campaign name from a snapshot channel, or undefined if the channel is not one. */
export function campaignOfChannel(channel: string): string | undefined {
  const match = /^sc:\{([^}]+)\}:snapshots$/.exec(channel);
  return match?.[1];
}

/** SCAN pattern matching every dedupe mark of a campaign, on any shard (for reconciliation). */
export function seenKeyPattern(campaign: string): string {
  return `sc:{${campaign}:*}:seen:*`;
}

/** The paymentId of a dedupe mark key, or undefined if the key is not one. */
export function paymentIdOfSeenKey(key: string): string | undefined {
  const match = /^sc:\{[^}]+:\d+\}:seen:(.+)$/.exec(key);
  return match?.[1];
}
