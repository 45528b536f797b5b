// What one aggregator reports of its fold loop: /healthz, the EMF figures and the tests read it.

export type FoldErrorOp = "epoch" | "lease" | "fold" | "state-loss" | "publish";

export interface FoldLoopStats {
  readonly epoch: string | undefined;
  readonly lastSeq: number | undefined;
  readonly lastFoldMs: number | undefined;
  readonly folds: number;
  readonly publishes: number;
  readonly skippedTicks: number;
  /** Publishing the last good snapshot because the counters are below it. */
  readonly degraded: boolean;
  /** Degraded for longer than STATE_LOSS_ALERT_AFTER_MS: reconcile. */
  readonly stateLossUnhealed: boolean;
  /** Failures since start, by operation (the same as sales_aggregator_errors_total{op}). */
  readonly errors: Readonly<Record<FoldErrorOp, number>>;
}
