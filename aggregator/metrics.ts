// Prometheus metrics of one aggregator: fold duration, publishes, leadership, milestone deliveries. One registry per
// instance. (Campaign-wide outbox figures, the same whichever aggregator leads, are on the broadcaster's /metrics.)
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface AggregatorMetrics {
  readonly registry: Registry;
  readonly foldSeconds: Histogram;
  readonly publishes: Counter<"reason">;
  readonly skippedTicks: Counter;
  readonly errors: Counter<"op">;
  readonly leader: Gauge;
  readonly seq: Gauge;
  readonly degraded: Gauge;
  readonly stateLossUnhealed: Gauge;
  /** Notifications in the outbox of each target, as the leader last saw it (0 on a standby). */
  readonly notificationsPending: Gauge<"target">;
  readonly notificationsDelivered: Counter<"target">;
  readonly notificationFailures: Counter<"target">;
  readonly redisReconnects: Counter;
}

export function createAggregatorMetrics(registry: Registry = new Registry()): AggregatorMetrics {
  const registers = [registry];
  return {
    registry,
    foldSeconds: new Histogram({
      name: "sales_fold_duration_seconds",
      help: "Time to read every shard counter and build the snapshot",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    publishes: new Counter({
      name: "sales_snapshots_published_total",
      help: "Snapshots published, by reason: change, heartbeat, or degraded (the last good snapshot republished)",
      labelNames: ["reason"] as const,
      registers,
    }),
    skippedTicks: new Counter({
      name: "sales_fold_skipped_ticks_total",
      help: "Fold ticks skipped because the previous fold was still running",
      registers,
    }),
    errors: new Counter({
      name: "sales_aggregator_errors_total",
      help: "Aggregator failures by operation: epoch, lease, fold, publish",
      labelNames: ["op"] as const,
      registers,
    }),
    leader: new Gauge({ name: "sales_aggregator_leader", help: "1 while this aggregator holds the lease", registers }),
    seq: new Gauge({ name: "sales_snapshot_seq", help: "Seq of the last snapshot this aggregator published", registers }),
    degraded: new Gauge({
      name: "sales_aggregator_degraded",
      help: "1 while the counters are below the published mark and the last good snapshot is republished (frozen number)",
      registers,
    }),
    stateLossUnhealed: new Gauge({
      name: "sales_state_loss_unhealed",
      help: "1 once the counters have stayed below the published mark for STATE_LOSS_ALERT_AFTER_MS: reconcile and rebuild",
      registers,
    }),
    notificationsPending: new Gauge({
      name: "sales_aggregator_milestone_notifications_pending",
      help: "Milestone notifications waiting in the outbox, by target (this aggregator's view while it leads)",
      labelNames: ["target"] as const,
      registers,
    }),
    notificationsDelivered: new Counter({
      name: "sales_aggregator_milestone_notifications_delivered_total",
      help: "Milestone notifications this aggregator delivered, by target",
      labelNames: ["target"] as const,
      registers,
    }),
    notificationFailures: new Counter({
      name: "sales_aggregator_milestone_notification_failures_total",
      help: "Failed milestone delivery attempts of this aggregator, by target (each is retried with backoff)",
      labelNames: ["target"] as const,
      registers,
    }),
    redisReconnects: new Counter({
      name: "sales_aggregator_redis_reconnects_total",
      help: "Times the aggregator's Redis connection was lost and re-established (a failover is one)",
      registers,
    }),
  };
}
