// Broadcaster errors: a stable code (also the `error.code` of JSON answers) and an HTTP status.
import { CodedError } from "../core/errors.js";

export class BroadcasterError extends CodedError {
  constructor(
    code: string,
    message: string,
    readonly statusCode = 500,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A snapshot from Redis that is not valid or belongs to another channel; it is dropped. */
export class BadSnapshotError extends BroadcasterError {
  constructor(message: string, cause?: unknown) {
    super("BAD_SNAPSHOT", message, 500, { cause });
  }
}
