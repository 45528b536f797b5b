// Prometheus metrics of one aggregator: fold duration, publishes, leadership. One registry per instance.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface AggregatorMetrics {
  readonly registry: Registry;
  readonly foldSeconds: Histogram;
  readonly publishes: Counter<"reason">;
  readonly skippedTicks: Counter;
  readonly errors: Counter<"op">;
  readonly leader: Gauge;
  readonly seq: Gauge;
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
      help: "Snapshots published, by reason: change or heartbeat",
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
    redisReconnects: new Counter({
      name: "sales_aggregator_redis_reconnects_total",
      help: "Times the aggregator's Redis connection was lost and re-established (a failover is one)",
      registers,
    }),
  };
}
