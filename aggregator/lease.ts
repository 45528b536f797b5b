// Leader lease: one aggregator per campaign folds and publishes; the others stand by and take over when it lapses.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { LeaseStore } from "../core/store/lease.js";

export class LeaderLease {
  /** Unique per process start, so a restarted aggregator never mistakes an old lease for its own. */
  readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private heldUntilMs = 0;
  /** When Redis last answered a lease call (every tick, leader or standby): how /metrics tells Redis is reachable. */
  lastAnsweredAtMs: number | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly campaign: string,
    readonly leaseMs: number,
  ) {}

  /**
   * True while the last successful acquire is younger than the lease. Measured from before the call, so the
   * local view expires no later than Redis's; the publish script checks the lease again anyway.
   */
  get held(): boolean {
    return Date.now() < this.heldUntilMs;
  }

  /** Acquires or renews the lease; resolves whether this aggregator holds it now. */
  async tryAcquire(): Promise<boolean> {
    const sentAtMs = Date.now();
    const acquired = await this.store.acquire(this.campaign, this.token, this.leaseMs);
    this.heldUntilMs = acquired ? sentAtMs + this.leaseMs : 0;
    this.lastAnsweredAtMs = Date.now();
    return acquired;
  }

  /**
   * Renews the lease every third of its length while held, on a timer of its own: a fold that takes long (or a
   * FOLD_INTERVAL_MS longer than the lease) cannot let it lapse, since the fold's tick is not what keeps it.
   * A failed renewal leaves the local view to expire on its own; the publish script checks the lease anyway.
   */
  startRenewing(): void {
    this.renewTimer ??= setInterval(
      () => {
        if (this.held) this.tryAcquire().catch(() => undefined);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  stopRenewing(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** Forget the lease locally (the publish script said another owner holds it). */
  lose(): void {
    this.heldUntilMs = 0;
  }

  /** Releases the lease in Redis if this aggregator holds it, so a standby takes over at its next tick. */
  async release(): Promise<boolean> {
    this.stopRenewing();
    this.heldUntilMs = 0;
    return this.store.release(this.campaign, this.token);
  }
}
