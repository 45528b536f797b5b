// The moment one ingest call (a Lambda invocation, a gateway request) must answer by, whatever Redis does meanwhile.
import type { Config } from "../../core/config.js";
import { withTimeout } from "../../core/timeout.js";
import { CounterUnavailableError } from "./errors.js";

/** The part of Lambda's context object a deadline needs (the local Invoke API passes the same). */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/**
 * Time kept back before the function timeout: the answer (batch item failures, a 503) must reach Lambda before it
 * ends the invocation, or the whole batch is retried and an API Gateway client sees a bare 500/503 instead of ours.
 */
export const timeoutMarginMs = 1000;

export class Deadline {
  private constructor(readonly at: number) {}

  static after(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  /** INGEST_DEADLINE_MS from now, cut so that it falls at least timeoutMarginMs before the function times out. */
  static forInvocation(config: Pick<Config, "ingestDeadlineMs">, context?: Partial<InvocationClock>): Deadline {
    const remaining =
      typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
    return Deadline.after(Math.max(0, Math.min(config.ingestDeadlineMs, remaining - timeoutMarginMs)));
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): boolean {
    return Date.now() >= this.at;
  }

  /**
   * Resolves like `work`, or rejects with CounterUnavailableError once the deadline passes. The work is not cancelled:
   * a write still in flight may land later, which is safe because the retry it causes is deduplicated.
   */
  bound<T>(work: Promise<T>): Promise<T> {
    const remaining = this.remainingMs();
    return withTimeout(work, remaining, () => new CounterUnavailableError(new Error(`no answer from Redis within the ingest deadline`)));
  }
}
