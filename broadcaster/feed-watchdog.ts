// Resets a half-open Redis connection of the snapshot feed: when no snapshot (not even a heartbeat) has arrived for a
// few heartbeats, it probes both connections, and reconnects the one that does not answer, or the subscriber when
// Redis holds a newer snapshot than it delivered. TCP alone may never notice a peer that vanished (no FIN, no RST,
// no keepalive probe for hours), and ioredis only reconnects on a socket error or close.
import { withTimeout } from "../core/timeout.js";

export interface WatchedFeed {
  /** When the subscription last delivered anything (Date.now()), or when the feed started. */
  lastDeliveryAtMs(): number;
  /** PING on the subscriber connection (allowed in subscriber mode). */
  pingSubscriber(): Promise<unknown>;
  /** The configured campaign's latest snapshot, read on the command connection. */
  readLatest(): Promise<string | null>;
  /** Offers a snapshot to the store; true when it was newer than what the subscription had delivered. */
  offer(json: string): boolean;
  resetSubscriber(reason: string): void;
  resetCommandConnection(reason: string): void;
}

/** Heartbeats without a delivery before the feed is probed (the same limit /readyz uses). */
export const probeAfterHeartbeats = 3;

export class FeedWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private lastResetAtMs = 0;
  /** Probes and resets counted, for tests and logs. */
  resets = 0;

  constructor(
    private readonly feed: WatchedFeed,
    private readonly heartbeatMs: number,
  ) {}

  private get staleAfterMs(): number {
    return probeAfterHeartbeats * this.heartbeatMs;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check: nothing to do while deliveries arrive; otherwise probe, and reset what does not answer. */
  async check(nowMs = Date.now()): Promise<void> {
    if (this.probing || nowMs - this.feed.lastDeliveryAtMs() <= this.staleAfterMs) return;
    // A reset needs time to reconnect and resubscribe: at most one per stale window.
    if (nowMs - this.lastResetAtMs <= this.staleAfterMs) return;
    this.probing = true;
    try {
      const probeMs = Math.max(this.heartbeatMs, 1000);
      const timeout = (what: string) => () => new Error(`${what} gave no answer within ${probeMs} ms`);
      const [pong, latest] = await Promise.allSettled([
        withTimeout(this.feed.pingSubscriber(), probeMs, timeout("PING on the subscriber connection")),
        withTimeout(this.feed.readLatest(), probeMs, timeout("GET latest on the command connection")),
      ]);
      if (latest.status === "rejected") this.reset(() => this.feed.resetCommandConnection(String(latest.reason)));
      if (pong.status === "rejected") this.reset(() => this.feed.resetSubscriber(String(pong.reason)));
      else if (latest.status === "fulfilled" && latest.value !== null && this.feed.offer(latest.value))
        this.reset(() => this.feed.resetSubscriber("Redis holds a newer snapshot than the subscription delivered"));
    } finally {
      this.probing = false;
    }
  }

  private reset(action: () => void): void {
    this.lastResetAtMs = Date.now();
    this.resets++;
    action();
  }
}
