// How long the live client waits before it tries again: reconnects, stale resyncs, and when a transport is given up.

const baseDelayMs = 500;
const maxDelayMs = 15_000;
/**
 * While stale, a resync reconnect (another broadcaster may be fresh, or the connection half-open) after 15-30 s, then
 * 30-60 s, ... up to 2.5-5 min: at 200k viewers that is under 7k upgrades a second at first, about 1k later.
 */
const staleResyncMs = 30_000;
const maxStaleResyncMs = 300_000;
/** A connection that ends sooner than this after opening counts as a failure of its transport. */
export const shortLivedMs = 5_000;
/** Failures in a row (while the server answers GETs) before a transport is given up for the next one. */
export const failuresBeforeFallback = 2;

/** Uniform in [ceiling / 2, ceiling]: spreads a crowd of viewers over time without ever retrying at once. */
function jitter(ceilingMs: number): number {
  return ceilingMs / 2 + Math.random() * (ceilingMs / 2);
}

/** The delay before reconnect number `attempt` (0-based): 0.25-0.5 s, then doubling up to 7.5-15 s. */
export function reconnectDelayMs(attempt: number): number {
  return jitter(Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
}

/** The delay before stale resync number `attempt` (0-based). */
export function resyncDelayMs(attempt: number): number {
  return jitter(Math.min(maxStaleResyncMs, staleResyncMs * 2 ** attempt));
}
