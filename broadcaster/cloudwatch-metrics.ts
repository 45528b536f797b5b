// The broadcaster's CloudWatch figures (EMF lines): open viewer connections, which the service scales on, and the age of
// the number it shows, which the stale-number alarm watches, and its Redis reconnects since the previous line (the
// failover signal). On only when METRICS_NAMESPACE is set.
import type { Config } from "../core/config.js";
import { deltaOf, startEmfPublisher } from "../core/emf-metrics.js";
import { snapshotAgeSeconds } from "./metrics.js";
import type { SnapshotEntry } from "./snapshot-store.js";

export interface BroadcasterFigures {
  connections(): number;
  latest(): SnapshotEntry | undefined;
  /** Reconnects of the command and subscriber connections since start. */
  redisReconnects?(): number;
}

export function startBroadcasterEmf(
  config: Config,
  figures: BroadcasterFigures,
  write?: (line: string) => void,
): { stop(): void } | undefined {
  if (config.metricsNamespace === undefined) return undefined;
  const total = figures.redisReconnects;
  const reconnects = total === undefined ? undefined : deltaOf(total);
  return startEmfPublisher({
    namespace: config.metricsNamespace,
    dimensions: { Stage: config.stage, Service: "broadcaster" },
    intervalMs: config.metricsIntervalMs,
    write,
    sample: () => {
      const entry = figures.latest();
      return {
        Connections: { value: figures.connections(), unit: "Count" },
        // Same definition as sales_snapshot_age_seconds: now minus the fold time. No snapshot: nothing is reported,
        // and the alarm treats the missing data as breaching.
        SnapshotAgeSeconds: entry ? { value: snapshotAgeSeconds(entry), unit: "Seconds" } : undefined,
        RedisReconnects: reconnects === undefined ? undefined : { value: reconnects(), unit: "Count" },
      };
    },
  });
}
