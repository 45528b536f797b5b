// Aggregator errors: a stable code and the cause, so logs and alerts can group failures.
import { CodedError } from "../core/errors.js";

export class AggregatorError extends CodedError {}

/** The campaign epoch could not be created or read (Redis unreachable). */
export class EpochUnavailableError extends AggregatorError {
  constructor(cause: unknown) {
    super("EPOCH_UNAVAILABLE", "could not create or read the campaign epoch in Redis", { cause });
  }
}

/** The shard counters could not be read in this fold. */
export class FoldReadError extends AggregatorError {
  constructor(cause: unknown) {
    super("FOLD_READ_FAILED", "could not read the shard counters", { cause });
  }
}
