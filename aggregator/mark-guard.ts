// What this aggregator knows viewers were shown (the highest good snapshot it published or read) and the degraded
// episode: since when the counters have been below that, and whether it has lasted long enough to call it lost state.
import { markOfSnapshot, markOfTotals, shortfallOf } from "../core/published-mark.js";
import { compareEpochs, parseSnapshot, type Snapshot, supersedes } from "../core/snapshot.js";
import { type CounterTotals, withoutDegraded } from "../core/store/index.js";

export interface DegradedEpisode {
  readonly reason: string;
  readonly sinceMs: number;
}

/**
 * Counters only grow (payments, refunds, and the sums of both), so a fold below a snapshot already published read
 * counters that lost writes: a failover to a replica that lagged, or a node that restarted without its data. The
 * mark in Redis is the shared record; this memory is what lets the aggregator give Redis the mark back when Redis
 * itself lost it, and compare before Redis can.
 */
export class MarkGuard {
  private held: Snapshot | undefined;
  private episode: DegradedEpisode | undefined;
  private alerted = false;
  /** The held snapshot was offered to Redis in this episode (restore is idempotent, once is enough). */
  restoredInEpisode = false;

  /** The highest good snapshot known, in any epoch. */
  get good(): Snapshot | undefined {
    return this.held;
  }

  get degraded(): DegradedEpisode | undefined {
    return this.episode;
  }

  /** Keeps `snapshot` (its figures, not its degraded marks) if it is later than the one held. */
  remember(snapshot: Snapshot): void {
    if (supersedes(snapshot, this.held)) this.held = withoutDegraded(snapshot);
  }

  /** Same as remember, from JSON (the `good` field in Redis); ignores what is not a snapshot. */
  rememberJson(json: string | undefined): Snapshot | undefined {
    if (json === undefined) return undefined;
    try {
      const snapshot = parseSnapshot(json);
      this.remember(snapshot);
      return snapshot;
    } catch {
      return undefined;
    }
  }

  /** A later epoch became current (a rebuild): what was held belongs to the history it replaced. */
  adopt(epoch: string): void {
    if (this.held && compareEpochs(this.held.epoch, epoch) < 0) this.held = undefined;
  }

  /** Why `totals` are below the held snapshot of `epoch`, or undefined. */
  shortfall(epoch: string, totals: CounterTotals): string | undefined {
    if (this.held === undefined || this.held.epoch !== epoch) return undefined;
    return shortfallOf(markOfTotals(totals), markOfSnapshot(this.held));
  }

  /** Starts (or continues) a degraded episode; true when it starts now. */
  enter(reason: string, nowMs: number): boolean {
    if (this.episode) {
      this.episode = { reason, sinceMs: this.episode.sinceMs };
      return false;
    }
    this.episode = { reason, sinceMs: nowMs };
    return true;
  }

  /** Ends the episode; returns how long it lasted, or undefined when there was none. */
  leave(nowMs: number): number | undefined {
    const episode = this.episode;
    this.episode = undefined;
    this.alerted = false;
    this.restoredInEpisode = false;
    return episode === undefined ? undefined : nowMs - episode.sinceMs;
  }

  /** True once per episode, when it has lasted `alertAfterMs`: the loss did not heal by retries. */
  alertDue(nowMs: number, alertAfterMs: number): boolean {
    if (!this.episode || this.alerted || nowMs - this.episode.sinceMs < alertAfterMs) return false;
    this.alerted = true;
    return true;
  }

  get unhealed(): boolean {
    return this.alerted;
  }
}
