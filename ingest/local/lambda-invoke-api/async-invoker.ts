// Asynchronous (`Event`) invocations as Lambda runs them: queued, retried on error, then handed to an on-failure destination.
//
// AWS ("How Lambda handles errors and retries with asynchronous invocation"): when the function returns an error,
// Lambda runs it up to two more times, one minute after the first attempt and two minutes after the second (here
// retryBaseMs × 1 and × 2, one second by default); an event older than the maximum event age is not run again; what
// is given up goes to the on-failure destination as an invocation record. Only an error is retried: a result,
// whatever it says, is a success.
import type { Logger } from "../../../core/logger.js";
import type { InvocationRecord } from "../../domain/invocation-record.js";
import type { InvokeHandler } from "./functions.js";
import { invocationError } from "./invoke.js";

/** A function's asynchronous invocation settings (serverless.yml maximumRetryAttempts / maximumEventAge). */
export interface AsyncPolicy {
  /** 0..2; Lambda's default is 2. */
  readonly maxRetries: number;
  /** 60 s .. 6 h; Lambda's default is 6 h. */
  readonly maxEventAgeMs: number;
}

export const lambdaAsyncDefaults: AsyncPolicy = { maxRetries: 2, maxEventAgeMs: 6 * 3600 * 1000 };

export interface AsyncInvokerOptions {
  readonly logger: Logger;
  /** Delay before retry n (1-based) is retryBaseMs * 2^(n-1); Lambda waits about 1 and 2 minutes, locally we wait less. */
  readonly retryBaseMs?: number;
  /** The on-failure destination: receives the record of every invocation given up (logged in any case). */
  readonly onFailure?: (record: InvocationRecord) => void;
}

/** The error of the last attempt, as the handler's wrapper saw it. */
type Attempt = { readonly ok: true } | { readonly ok: false; readonly error: Error };

export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<void>>();
  /** Retries waiting for their backoff, with the function that wakes them early on close. */
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private readonly retryBaseMs: number;
  private closed = false;

  constructor(private readonly options: AsyncInvokerOptions) {
    this.retryBaseMs = options.retryBaseMs ?? 1000;
  }

  /** Accepts the invocation and returns at once; the handler runs after this call returns. */
  enqueue(
    functionName: string,
    requestId: string,
    handler: InvokeHandler,
    event: unknown,
    policy: AsyncPolicy = lambdaAsyncDefaults,
  ): void {
    const run = this.runWithRetries(functionName, requestId, handler, event, policy).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Number of invocations not yet finished (including ones waiting to retry). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves when every accepted invocation has finished, successfully or not. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops waiting retries (they are dropped, as when a local stack stops) and waits for running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, wake] of this.waiting) {
      clearTimeout(timer);
      wake();
    }
    this.waiting.clear();
    await this.drain();
  }

  private async runWithRetries(
    functionName: string,
    requestId: string,
    handler: InvokeHandler,
    event: unknown,
    policy: AsyncPolicy,
  ): Promise<void> {
    await Promise.resolve(); // never run inside the HTTP request's call stack
    const queuedAt = Date.now();
    let last: Attempt = { ok: true };
    let attempts = 0;
    for (let retry = 0; retry <= policy.maxRetries; retry++) {
      if (retry > 0) {
        if (!(await this.sleep(this.retryBaseMs * 2 ** (retry - 1)))) return;
        if (Date.now() - queuedAt > policy.maxEventAgeMs)
          return this.giveUp("EventAgeExceeded", functionName, requestId, event, attempts, last);
      }
      attempts++;
      last = await handler(event).then(
        (): Attempt => ({ ok: true }),
        (err: unknown): Attempt => ({ ok: false, error: err instanceof Error ? err : new Error(String(err)) }),
      );
      if (last.ok) return;
      this.options.logger.warn(
        { err: last.error, functionName, requestId, attempt: attempts },
        retry === policy.maxRetries ? "async invocation failed, giving up" : "async invocation failed, will retry",
      );
    }
    this.giveUp("RetriesExhausted", functionName, requestId, event, attempts, last);
  }

  private giveUp(condition: string, functionName: string, requestId: string, event: unknown, attempts: number, last: Attempt): void {
    const record: InvocationRecord = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: last.ok ? null : invocationError(last.error),
    };
    // Without a destination the record is at least in the log, payload included, so the payments can be replayed.
    this.options.logger.error({ invocationRecord: record }, "async invocation given up: sent to the on-failure destination");
    this.options.onFailure?.(record);
  }

  /** Resolves true after ms, or false as soon as the invoker is closed. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve(true);
      }, ms);
      this.waiting.set(timer, () => resolve(false));
    });
  }
}
