// The broadcaster's CloudWatch figures (EMF lines): open viewer connections, which the service scales on, and the age of
// the number it shows, which the stale-number alarm watches. On only when METRICS_NAMESPACE is set.
import type { Config } from "../core/config.js";
import { startEmfPublisher } from "../core/emf-metrics.js";
import type { SnapshotEntry } from "./snapshot-store.js";

export interface BroadcasterFigures {
  connections(): number;
  latest(): SnapshotEntry | undefined;
}

export function startBroadcasterEmf(
  config: Config,
  figures: BroadcasterFigures,
  write?: (line: string) => void,
): { stop(): void } | undefined {
  if (config.metricsNamespace === undefined) return undefined;
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
        SnapshotAgeSeconds: entry ? { value: Math.max(0, Date.now() - Date.parse(entry.snapshot.at)) / 1000, unit: "Seconds" } : undefined,
      };
    },
  });
}
