// The store layer: the only code that knows Redis key names, hash field formats and Lua scripts. Components call its
// typed operations with domain values; the key and field layout is documented in docs/architecture.md.
import type { Config } from "../config.js";
import type { RedisClient } from "../redis.js";
import { CounterStore } from "./counters.js";
import { DeadLetterStore } from "./dead-letters.js";
import { DedupeMarkStore } from "./dedupe-marks.js";
import { HistoryStore } from "./history.js";
import { LeaseStore } from "./lease.js";
import { PublishedSnapshots } from "./published-snapshots.js";
import { TotalsStore } from "./totals.js";

/**
 * Counter shards per campaign (SHARDS, the same for every component), how long a paymentId is remembered, and how
 * many replicas must confirm a count before it is answered (REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT_MS).
 */
export type StoreOptions = Pick<Config, "shards" | "dedupeTtlSeconds"> &
  Partial<Pick<Config, "redisWaitReplicas" | "redisWaitTimeoutMs">> & {
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
  readonly deadLetters: DeadLetterStore;
  readonly dedupeMarks: DedupeMarkStore;
}

/** The store over one client; cheap, holds no connection of its own. */
export function openStore(redis: RedisClient, options: StoreOptions): Store {
  const { shards } = options;
  return {
    redis,
    counters: new CounterStore(redis, shards, options.dedupeTtlSeconds, {
      replicas: options.redisWaitReplicas ?? 0,
      timeoutMs: options.redisWaitTimeoutMs ?? 250,
      onUnreplicated: options.onUnreplicated,
    }),
    totals: new TotalsStore(redis, shards),
    lease: new LeaseStore(redis, shards),
    snapshots: new PublishedSnapshots(redis, shards),
    history: new HistoryStore(redis, shards),
    deadLetters: new DeadLetterStore(redis, shards),
    dedupeMarks: new DedupeMarkStore(redis, shards),
  };
}

export type { CountItem, CountOutcome } from "./counters.js";
export { maxEventsPerScriptCall } from "./counters.js";
export type { DeadLetter, StoredDeadLetter } from "./dead-letters.js";
export { CorruptCounterError, PublishRefusedError, ReplicationTimeoutError, StoreError, UnexpectedReplyError } from "./errors.js";
export type { HistoryPoint, HistoryRange, HistorySeries } from "./history.js";
export { selectPoints } from "./history.js";
export type { CampaignState, PublishOutcome, RestoreOutcome, StartOutcome } from "./published-snapshots.js";
export { newEpochId, PublishedSnapshots, withoutDegraded } from "./published-snapshots.js";
export type { CounterTotals, DimensionSum } from "./totals.js";
