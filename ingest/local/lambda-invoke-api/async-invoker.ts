// Asynchronous (`Event`) invocations: queued, run in the background, retried twice with backoff on error, as Lambda does.
import type { Logger } from "../../../core/logger.js";
import type { InvokeHandler } from "./functions.js";

export interface AsyncInvokerOptions {
  readonly logger: Logger;
  /** Lambda retries a failed asynchronous invocation twice. */
  readonly maxRetries?: number;
  /** Delay before retry n (1-based) is retryBaseMs * 2^(n-1); Lambda waits about 1 and 2 minutes, locally we wait less. */
  readonly retryBaseMs?: number;
}

export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<void>>();
  /** Retries waiting for their backoff, with the function that wakes them early on close. */
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private closed = false;

  constructor(private readonly options: AsyncInvokerOptions) {
    this.maxRetries = options.maxRetries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
  }

  /** Accepts the invocation and returns at once; the handler runs after this call returns. */
  enqueue(functionName: string, requestId: string, handler: InvokeHandler, event: unknown): void {
    const run = this.runWithRetries(functionName, requestId, handler, event).finally(() => this.inFlight.delete(run));
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

  private async runWithRetries(functionName: string, requestId: string, handler: InvokeHandler, event: unknown): Promise<void> {
    await Promise.resolve(); // never run inside the HTTP request's call stack
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0 && !(await this.sleep(this.retryBaseMs * 2 ** (attempt - 1)))) return;
      try {
        await handler(event);
        return;
      } catch (err) {
        const last = attempt === this.maxRetries;
        this.options.logger.warn(
          { err, functionName, requestId, attempt: attempt + 1 },
          last ? "async invocation failed, giving up" : "async invocation failed, will retry",
        );
      }
    }
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
