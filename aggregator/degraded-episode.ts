// Says what a degraded episode means to operators: a gauge while it lasts, one warning when it starts, the
// STATE_LOSS_UNHEALED alert (metric and a log telling them to reconcile) once it outlasts STATE_LOSS_ALERT_AFTER_MS.
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { Snapshot } from "../core/snapshot.js";
import type { DegradedEpisode, MarkGuard } from "./mark-guard.js";
import type { AggregatorMetrics } from "./metrics.js";

export class DegradedEpisodeReport {
  constructor(
    private readonly mark: MarkGuard,
    private readonly deps: { readonly config: Config; readonly logger: Logger; readonly metrics: AggregatorMetrics },
  ) {}

  /** The counters are below `good` for `reason` at `atMs`: starts or continues the episode, alerts when it lasts. */
  below(good: Snapshot, reason: string, atMs: number): DegradedEpisode {
    const { logger, metrics, config } = this.deps;
    if (this.mark.enter(reason, atMs)) {
      metrics.degraded.set(1);
      logger.warn(
        { campaign: config.campaign, reason, total: good.total, count: good.count, seq: good.seq },
        "counters are below what viewers were shown: republishing the last good snapshot (degraded) until they reach it again",
      );
    }
    const episode = this.mark.degraded!;
    if (this.mark.alertDue(atMs, config.stateLossAlertAfterMs)) {
      metrics.stateLossUnhealed.set(1);
      logger.error(
        { campaign: config.campaign, reason, sinceMs: episode.sinceMs, alertAfterMs: config.stateLossAlertAfterMs },
        `STATE_LOSS_UNHEALED: the counters have stayed below the published mark for ${Math.round((atMs - episode.sinceMs) / 1000)} s; ` +
          "the writes lost were not sent again. Reconcile with the payments export: `npm run reconcile -- --file <export>` " +
          "to see what is missing, then `--rebuild` (viewers keep the last good number until then)",
      );
    }
    return episode;
  }

  /** The counters reached the mark again: the episode ends by itself, no rebuild needed. */
  healed(atMs: number): void {
    const lastedMs = this.mark.leave(atMs);
    if (lastedMs === undefined) return;
    this.deps.metrics.degraded.set(0);
    this.deps.metrics.stateLossUnhealed.set(0);
    this.deps.logger.info(
      { campaign: this.deps.config.campaign, lastedMs },
      "counters reached the published mark again: publishing live figures",
    );
  }
}
