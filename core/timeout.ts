// Bounded waits, on the platform's timers (node:timers/promises): the one timeout helper every component uses.
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/**
 * Resolves like `promise`, or rejects with `onTimeout()` after timeoutMs. The timer is cleared as soon as the
 * promise settles and never keeps the process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  const timer = new AbortController();
  const expired = sleep(timeoutMs, undefined, { ref: false, signal: timer.signal }).then(() => {
    throw onTimeout();
  });
  expired.catch(() => undefined);
  try {
    return await Promise.race([promise, expired]);
  } finally {
    timer.abort();
  }
}

/** Waits for `promise` at most timeoutMs; resolves true when it settled in time (its outcome is ignored), false otherwise. */
export async function waitAtMost(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return withTimeout(settled, timeoutMs, () => new Error("timeout")).catch(() => false);
}
