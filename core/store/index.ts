// The store layer: the only code that knows Redis key names, hash field formats and Lua scripts. Components call its
// typed operations with domain values; the key and field layout is documented in docs/architecture.md.
import type { Config } from "../config.js";
import type { RedisClient } from "../redis.js";
import { CounterStore } from "./counters.js";
import { DeadLetterStore } from "./dead-letters.js";
import { DedupeMarkStore } from "./dedupe-marks.js";
import { defaultDimensionLimits } from "./dimension-registry.js";
import { HistoryStore } from "./history.js";
import { LeaseStore } from "./lease.js";
import { NotificationStore } from "./milestone-notifications.js";
import { PublishedSnapshots } from "./published-snapshots.js";
import { RebuildFenceStore } from "./rebuild-fence.js";
import { TotalsStore } from "./totals.js";

/**
 * Counter shards per campaign (SHARDS, the same for every component), how long a paymentId is remembered, how many
 * replicas must confirm a count before it is answered (REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT_MS), and the caps on
 * distinct channel and category names (MAX_CHANNELS, MAX_CATEGORIES; 100 each when not given).
 */
export type StoreOptions = Pick<Config, "shards" | "dedupeTtlSeconds"> &
  Partial<Pick<Config, "redisWaitReplicas" | "redisWaitTimeoutMs" | "maxChannels" | "maxCategories">> & {
    /** Told when a node without any replica connected acknowledged counts without waiting. */
    readonly onUnreplicated?: (node: string) => void;
  };

export interface Store {
  readonly redis: RedisClient;
  readonly counters: CounterStore;
  readonly totals: TotalsStore;
  readonly lease: LeaseStore;
  readonly snapshots: PublishedSnapshots;
  readonly history: HistoryStore;
  readonly notifications: NotificationStore;
  readonly deadLetters: DeadLetterStore;
  readonly dedupeMarks: DedupeMarkStore;
  readonly rebuild: RebuildFenceStore;
}

/** The store over one client; cheap, holds no connection of its own. */
export function openStore(redis: RedisClient, options: StoreOptions): Store {
  const { shards } = options;
  const limits = {
    maxChannels: options.maxChannels ?? defaultDimensionLimits.maxChannels,
    maxCategories: options.maxCategories ?? defaultDimensionLimits.maxCategories,
  };
  return {
    redis,
    counters: new CounterStore(redis, shards, options.dedupeTtlSeconds, {
      replicas: options.redisWaitReplicas ?? 0,
      timeoutMs: options.redisWaitTimeoutMs ?? 250,
      onUnreplicated: options.onUnreplicated,
      limits,
    }),
    totals: new TotalsStore(redis, shards),
    lease: new LeaseStore(redis, shards),
    snapshots: new PublishedSnapshots(redis, shards),
    history: new HistoryStore(redis, shards),
    notifications: new NotificationStore(redis, shards),
    deadLetters: new DeadLetterStore(redis, shards),
    dedupeMarks: new DedupeMarkStore(redis),
    rebuild: new RebuildFenceStore(redis, shards),
  };
}

export type { CountItem, CountOutcome } from "./counters.js";
export { maxEventsPerScriptCall } from "./counters.js";
export type { DeadLetter, StoredDeadLetter } from "./dead-letters.js";
export { otherBucket } from "./dimension-registry.js";
export {
  CorruptCounterError,
  CountersFencedError,
  PublishRefusedError,
  ReplicationTimeoutError,
  StoreError,
  UnexpectedReplyError,
} from "./errors.js";
export type { HistoryPoint, HistoryRange, HistorySeries } from "./history.js";
export { selectPoints } from "./history.js";
export type { ClaimedNotification, ClaimResult, SettleOutcome } from "./milestone-notifications.js";
export type { CampaignState, PublishOutcome, RestoreOutcome, StartOutcome } from "./published-snapshots.js";
export { newEpochId, PublishedSnapshots, withoutDegraded } from "./published-snapshots.js";
export type { UnfinishedRebuild } from "./rebuild-fence.js";
export { RebuildTakenOverError } from "./rebuild-fence.js";
export type { CounterTotals, DimensionSum } from "./totals.js";
