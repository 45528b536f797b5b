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

/** uWS could not bind: port in use or no permission. Fatal at start. */
export class ListenError extends BroadcasterError {
  constructor(host: string, port: number) {
    super("LISTEN_FAILED", `could not listen on ${host}:${port} (port in use or not permitted)`);
  }
}

/** A snapshot from Redis that is not valid or belongs to another channel; it is dropped. */
export class BadSnapshotError extends BroadcasterError {
  constructor(message: string, cause?: unknown) {
    super("BAD_SNAPSHOT", message, 500, { cause });
  }
}
