// The broadcaster as a witness of what viewers were shown: when Redis lost it (a failover to a replica that lagged, a
// restart without persistence), the snapshot this broadcaster holds gives Redis back its epoch, published mark and seq.
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { PublishedSnapshots } from "../core/store/index.js";
import type { SnapshotStore } from "./snapshot-store.js";

/** A feed quiet for this many heartbeats may mean Redis lost the campaign: offer what we hold. */
const quietHeartbeats = 2;

export class MarkWitness {
  private timer: NodeJS.Timeout | undefined;
  private offering = false;

  constructor(
    private readonly config: Config,
    private readonly store: SnapshotStore,
    private readonly snapshots: PublishedSnapshots,
    private readonly logger: Logger,
  ) {}

  /** Checks every heartbeat whether the configured campaign's feed went quiet, and offers its snapshot then. */
  start(): void {
    this.timer ??= setInterval(() => {
      const entry = this.store.get(this.config.campaign);
      if (entry && Date.now() - entry.receivedAtMs > quietHeartbeats * this.config.heartbeatMs) void this.offer([this.config.campaign]);
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Offers the held snapshot of each campaign to Redis (restore-mark-2.lua decides: it only raises, and ignores a
   * snapshot from before a rebuild). Called after every resubscribe, when Redis may be a promoted replica.
   */
  async offer(campaigns: readonly string[]): Promise<void> {
    if (this.offering) return;
    this.offering = true;
    try {
      for (const campaign of campaigns) {
        const entry = this.store.get(campaign);
        if (!entry) continue;
        const outcome = await this.snapshots.restore(entry.snapshot);
        if (outcome === "restored" || outcome === "raised")
          this.logger.warn(
            { campaign, outcome, epoch: entry.snapshot.epoch, seq: entry.snapshot.seq, total: entry.snapshot.total },
            "Redis knew less than viewers were shown (failover or lost state): gave it back the snapshot this broadcaster holds",
          );
      }
    } catch (err) {
      this.logger.warn({ err }, "could not offer the held snapshot to Redis; trying again later");
    } finally {
      this.offering = false;
    }
  }
}
