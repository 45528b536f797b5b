// One container's initialisation (secret, configuration, Redis client), run in Lambda's init phase and retried, never fatal.

/**
 * Starts `init` at once and hands out its result. When it failed (SSM throttled or unreachable, a setting missing),
 * the container stays up: every call until the next attempt gets the same error at once, and a new attempt starts
 * no sooner than retryIntervalMs after the last one failed, so a cold-start storm does not turn into a retry storm against SSM. Lambda would
 * otherwise discard a container whose init threw and start the whole init again for the next request.
 */
export function coldStart<T>(init: () => Promise<T>, retryIntervalMs = 1000, now: () => number = Date.now): () => Promise<T> {
  let failedAt = Number.NEGATIVE_INFINITY;
  let current = attempt();
  function attempt(): Promise<T> {
    const run = Promise.resolve().then(init);
    // Observed by the getter; never an unhandled rejection in between.
    run.catch(() => {
      failedAt = now();
    });
    return run;
  }
  return () =>
    current.catch((err: unknown) => {
      if (now() - failedAt < retryIntervalMs) throw err;
      current = attempt();
      return current;
    });
}
