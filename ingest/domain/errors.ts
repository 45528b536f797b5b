// Ingest errors: a stable code, an HTTP status, and a message that names the field or limit.
import { CodedError } from "../../core/errors.js";

export class IngestError extends CodedError {
  constructor(
    code: string,
    message: string,
    readonly statusCode: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export class RequestRejectedError extends IngestError {}

/** Redis unreachable or timing out: passing, so the caller should retry (the write is idempotent). */
export class CounterUnavailableError extends IngestError {
  constructor(cause: unknown) {
    super("COUNTER_UNAVAILABLE", "the counter store is unavailable; retry the request, it is safe to repeat", 503, { cause });
  }
}

/** reconcile --rebuild fences the counters: nothing was counted; the same request succeeds once the rebuild is done. */
export class CounterRebuildingError extends IngestError {
  constructor(cause: unknown) {
    super(
      "REBUILD_IN_PROGRESS",
      "the counters are being rebuilt from the payments export; nothing was counted, retry the request later, it is safe to repeat",
      503,
      { cause },
    );
  }
}

/** Redis is reachable but its settings make counting unsafe (an evicting maxmemory-policy) or impossible (credentials). */
export class CounterRefusedError extends IngestError {
  constructor(cause: { code: string; message: string }) {
    super("COUNTER_REFUSED", `not counting: ${cause.message}`, 503, { cause });
  }
}

/** The Lambda event is not the shape this handler's event source sends; no record can be read from it. */
export class UnsupportedEventError extends IngestError {
  constructor(message: string) {
    super("UNSUPPORTED_EVENT", message, 400);
  }
}
