// Detects lost counter state (totals fell without refunds, or the epoch is gone) and holds publishing until a rebuild sets a new epoch.
import type { CounterTotals, PublishedSnapshots } from "../core/store/index.js";

interface Baseline {
  readonly epoch: string;
  readonly count: bigint;
  readonly net: bigint;
  readonly refunded: bigint;
}

/**
 * Counters only grow, except `net`, which falls by exactly the refunds counted. A fold that sees `count` or
 * `refunded` fall, or `net` fall by more than the new refunds, reads counters that lost state (a Redis node
 * restarted without persistence). Publishing that number would tell every viewer the sale shrank.
 */
export class StateLossGuard {
  private baseline: Baseline | undefined;
  private lostReason: string | undefined;

  constructor(
    private readonly snapshots: PublishedSnapshots,
    private readonly campaign: string,
  ) {}

  /** Why publishing is held, or undefined while the counters look intact. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  /** Checks a fold against the last accepted one; returns the reason when the counters went backwards. */
  inspect(epoch: string, totals: CounterTotals): string | undefined {
    if (this.lostReason) return this.lostReason;
    const b = this.baseline;
    if (b && b.epoch === epoch) {
      const newRefunds = totals.refunded - b.refunded;
      if (totals.count < b.count || newRefunds < 0n || totals.net < b.net - newRefunds) {
        this.lostReason =
          `counters went backwards without refunds (count ${b.count} -> ${totals.count}, net ${b.net} -> ${totals.net}, ` +
          `refunded ${b.refunded} -> ${totals.refunded}): counter state was lost`;
        return this.lostReason;
      }
    }
    this.baseline = { epoch, count: totals.count, net: totals.net, refunded: totals.refunded };
    return undefined;
  }

  /** The publish script found no epoch or another one in Redis. */
  markLost(reason: string): void {
    this.lostReason ??= reason;
  }

  /**
   * While held: the epoch a rebuild wrote (present and different from ours), or undefined to keep holding.
   * Never creates an epoch itself: only a rebuild from the payments export may declare the counters whole again.
   */
  async rebuiltEpoch(current: string): Promise<string | undefined> {
    // Only an epoch written by a rebuild counts: a fresh aggregator's HSETNX over the emptied counters is not one.
    const { epoch, rebuiltEpoch } = await this.snapshots.readEpoch(this.campaign);
    if (epoch === undefined || epoch === current || epoch !== rebuiltEpoch) return undefined;
    this.lostReason = undefined;
    this.baseline = undefined;
    return epoch;
  }
}
