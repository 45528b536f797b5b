// The store layer: the only code that knows Redis key names, hash field formats and Lua scripts. Components call its
// typed operations with domain values; the key and field layout is documented in docs/architecture.md.
import type { Config } from "../config.js";
import type { RedisClient } from "../redis.js";
import { CounterStore } from "./counters.js";
import { DeadLetterStore } from "./dead-letters.js";
import { DedupeMarkStore } from "./dedupe-marks.js";
import { HistoryStore } from "./history.js";
import { LeaseStore } from "./lease.js";
import { NotificationStore } from "./milestone-notifications.js";
import { PublishedSnapshots } from "./published-snapshots.js";
import { TotalsStore } from "./totals.js";

/** Counter shards per campaign (SHARDS, the same for every component) and how long a paymentId is remembered. */
export type StoreOptions = Pick<Config, "shards" | "dedupeTtlSeconds">;

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
}

/** The store over one client; cheap, holds no connection of its own. */
export function openStore(redis: RedisClient, options: StoreOptions): Store {
  const { shards } = options;
  return {
    redis,
    counters: new CounterStore(redis, shards, options.dedupeTtlSeconds),
    totals: new TotalsStore(redis, shards),
    lease: new LeaseStore(redis, shards),
    snapshots: new PublishedSnapshots(redis, shards),
    history: new HistoryStore(redis, shards),
    notifications: new NotificationStore(redis, shards),
    deadLetters: new DeadLetterStore(redis, shards),
    dedupeMarks: new DedupeMarkStore(redis, shards),
  };
}

export type { CountItem, CountOutcome } from "./counters.js";
export { maxEventsPerScriptCall } from "./counters.js";
export type { DeadLetter, StoredDeadLetter } from "./dead-letters.js";
export { CorruptCounterError, PublishRefusedError, StoreError, UnexpectedReplyError } from "./errors.js";
export type { HistoryPoint, HistoryRange, HistorySeries } from "./history.js";
export { selectPoints } from "./history.js";
export type { ClaimedNotification, ClaimResult, SettleOutcome } from "./milestone-notifications.js";
export { newEpochId, PublishedSnapshots } from "./published-snapshots.js";
export type { CounterTotals, DimensionSum } from "./totals.js";
