// One container's initialisation (secret, configuration, Redis client), run in Lambda's init phase and retried, never fatal.

/**
 * Starts `init` at once and hands out its result. When it failed (SSM throttled or unreachable, a setting missing),
 * the container stays up: every call until the next attempt gets the same error at once, and a new attempt starts
 * at most every retryIntervalMs, so a cold-start storm does not turn into a retry storm against SSM. Lambda would
 * otherwise discard a container whose init threw and start the whole init again for the next request.
 */
export function coldStart<T>(init: () => Promise<T>, retryIntervalMs = 1000, now: () => number = Date.now): () => Promise<T> {
  let startedAt = now();
  let current = attempt();
  function attempt(): Promise<T> {
    const run = Promise.resolve().then(init);
    run.catch(() => undefined); // observed by get(); never an unhandled rejection in between
    return run;
  }
  return () =>
    current.catch((err: unknown) => {
      if (now() - startedAt < retryIntervalMs) throw err;
      startedAt = now();
      current = attempt();
      return current;
    });
}
