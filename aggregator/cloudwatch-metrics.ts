// The aggregator's CloudWatch figures (EMF lines): Leader is 1 on the task holding the lease and 0 on the standby, so the
// service's maximum is 0 exactly when nobody folds (the no-leader alarm); fold, publish and lease errors and Redis
// reconnects since the previous line. On only when METRICS_NAMESPACE is set.
import type { Config } from "../core/config.js";
import { deltaOf, type EmfPublisher, startEmfPublisher } from "../core/emf-metrics.js";
import type { Aggregator } from "./aggregator.js";

export function startAggregatorEmf(
  config: Config,
  aggregator: Pick<Aggregator, "isLeader" | "stats">,
  write?: (line: string) => void,
): EmfPublisher | undefined {
  if (config.metricsNamespace === undefined) return undefined;
  const errors = () => aggregator.stats().errors;
  const foldErrors = deltaOf(() => errors().fold + errors()["state-loss"]);
  const publishErrors = deltaOf(() => errors().publish);
  const leaseErrors = deltaOf(() => errors().lease + errors().epoch);
  const redisReconnects = deltaOf(() => aggregator.stats().redisReconnects);
  return startEmfPublisher({
    namespace: config.metricsNamespace,
    dimensions: { Stage: config.stage, Service: "aggregator" },
    intervalMs: config.metricsIntervalMs,
    write,
    sample: () => {
      const leader = aggregator.isLeader();
      const { lastFoldMs, degraded, stateLossUnhealed } = aggregator.stats();
      return {
        Leader: { value: leader ? 1 : 0, unit: "Count" },
        // The leader's view: 1 while it republishes the last good snapshot, and once that outlasts the alert time.
        Degraded: leader ? { value: degraded ? 1 : 0, unit: "Count" } : undefined,
        StateLossUnhealed: leader ? { value: stateLossUnhealed ? 1 : 0, unit: "Count" } : undefined,
        FoldMilliseconds: leader && lastFoldMs !== undefined ? { value: lastFoldMs, unit: "Milliseconds" } : undefined,
        FoldErrors: { value: foldErrors(), unit: "Count" },
        PublishErrors: { value: publishErrors(), unit: "Count" },
        LeaseErrors: { value: leaseErrors(), unit: "Count" },
        RedisReconnects: { value: redisReconnects(), unit: "Count" },
      };
    },
  });
}
