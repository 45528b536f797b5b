// Store errors: what a script refused, or data in Redis that is not in the format the store writes.
import { CodedError } from "../errors.js";

export class StoreError extends CodedError {}

/** The publish script refused: the caller lost the lease, or the epoch in Redis is not the caller's. */
export class PublishRefusedError extends StoreError {
  constructor(
    override readonly code: "NOT_LEADER" | "EPOCH_MISMATCH",
    message: string,
    /** EPOCH_MISMATCH: the epoch Redis has (undefined: none, the campaign lost it or never started). */
    readonly currentEpoch?: string,
  ) {
    super(code, message);
  }
}

/** WAIT: fewer replicas than REDIS_WAIT_REPLICAS confirmed a count in time. The count may stand; retrying is safe. */
export class ReplicationTimeoutError extends StoreError {
  constructor(
    readonly confirmed: number,
    readonly wanted: number,
    timeoutMs: number,
  ) {
    super("REPLICATION_TIMEOUT", `${confirmed} of ${wanted} replicas confirmed the write within ${timeoutMs} ms; retry, it is safe`);
  }
}

/** A counter field holds something that is not an integer: the data was written by something other than the count script. */
export class CorruptCounterError extends StoreError {
  constructor(key: string, field: string, value: string) {
    super("COUNTER_CORRUPT", `counter ${key} field ${field} is not an integer: ${JSON.stringify(value.slice(0, 40))}`);
  }
}

/** A script answered something its contract does not allow (a bug or a script of another version). */
export class UnexpectedReplyError extends StoreError {
  constructor(message: string) {
    super("UNEXPECTED_REPLY", message);
  }
}

/** reconcile --rebuild holds the shard's fence: nothing was counted, and the same call succeeds once it is done. */
export class CountersFencedError extends StoreError {
  constructor(message: string) {
    super("REBUILD_IN_PROGRESS", message.replace(/^REBUILDING /, ""));
  }
}
