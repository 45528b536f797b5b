// The CloudWatch EMF backend of IngestMetrics (Lambda): Powertools Metrics writes one EMF document per dimension set at
// the end of each invocation, to stdout, where Lambda hands it to CloudWatch Logs and CloudWatch extracts the metrics.
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { currentInvocation, type Invocation } from "./invocation.js";
import { type Dimensions, type MetricGroup, MetricLedger } from "./metric-ledger.js";
import type { IngestMetrics } from "./metrics.js";

export interface EmfIngestOptions {
  readonly namespace: string;
  /** The `function` dimension: the Lambda function name. */
  readonly functionName: string;
}

// Reported by every invocation for each source it saw (0 when nothing happened), so alarms see data, not gaps.
const perSource = ["Accepted", "Duplicates", "Rejected", "RedisErrors"] as const;
// Only event-source batches (SQS, Kinesis, Kafka) have these.
const perBatch = ["DeadLetters", "RetriedRecords", "BatchItemFailures"] as const;

// The EMF specification allows at most 100 values in one metric's array; Powertools flushes by itself at 100, which
// would drop the group's dimensions for the rest, so a group's timings go out in chunks below that.
const maxValuesPerDocument = 99;

export function createEmfIngestMetrics(options: EmfIngestOptions): IngestMetrics {
  // Powertools adds the `service` dimension; `function` joins it on every document. Dimension sets then become
  // [service, function, source] (+ code or status for the per-code and per-status documents).
  const emf = new Metrics({ namespace: options.namespace, serviceName: "ingest", defaultDimensions: { function: options.functionName } });
  const ledgers = new WeakMap<Invocation, MetricLedger>();
  const outside = new MetricLedger();
  const ledger = (): MetricLedger => {
    const invocation = currentInvocation();
    if (invocation === undefined) return outside;
    let found = ledgers.get(invocation);
    if (found === undefined) {
      found = new MetricLedger();
      ledgers.set(invocation, found);
    }
    return found;
  };
  const bySource = (source: string): MetricLedger => {
    const l = ledger();
    l.ensure({ source }, perSource);
    return l;
  };

  const publish = (group: MetricGroup, awsRequestId: string | undefined) => {
    const timings = [...group.timings].map(([name, values]) => ({ name, values: [...values] }));
    let first = true;
    while (first || timings.some((t) => t.values.length > 0)) {
      addDimensions(emf, group.dimensions);
      if (awsRequestId !== undefined) emf.addMetadata("awsRequestId", awsRequestId);
      if (first) for (const [name, n] of group.counts) emf.addMetric(name, MetricUnit.Count, n);
      for (const t of timings)
        for (const ms of t.values.splice(0, maxValuesPerDocument)) emf.addMetric(t.name, MetricUnit.Milliseconds, ms);
      if (emf.hasStoredMetrics()) emf.publishStoredMetrics();
      else {
        emf.clearDimensions();
        emf.clearMetadata();
      }
      first = false;
    }
  };

  return {
    accepted: (source, n) => bySource(source).count({ source }, "Accepted", n),
    duplicates: (source, n) => bySource(source).count({ source }, "Duplicates", n),
    rejected: (source, code, n) => {
      const l = bySource(source);
      l.count({ source }, "Rejected", n);
      l.count({ source, code }, "Rejected", n);
    },
    deadLettered: (source, code, n) => {
      const l = bySource(source);
      l.ensure({ source }, perBatch);
      l.count({ source }, "DeadLetters", n);
      l.count({ source, code }, "DeadLetters", n);
    },
    retried: (source) => {
      const l = bySource(source);
      l.ensure({ source }, perBatch);
      l.count({ source }, "RetriedRecords", 1);
    },
    batchItemFailures: (source, n) => {
      const l = bySource(source);
      l.ensure({ source }, perBatch);
      l.count({ source }, "BatchItemFailures", n);
    },
    redisError: (source) => bySource(source).count({ source }, "RedisErrors", 1),
    writeLatency: (source, seconds) => bySource(source).time({ source }, "WriteLatency", seconds * 1000),
    response: (source, status) => bySource(source).count({ source, status: String(status) }, "Responses", 1),
    flush: () => {
      const invocation = currentInvocation();
      for (const group of ledger().drain()) publish(group, invocation?.awsRequestId);
      if (invocation !== undefined) ledgers.delete(invocation);
    },
  };
}

function addDimensions(emf: Metrics, dimensions: Dimensions): void {
  for (const [name, value] of Object.entries(dimensions)) emf.addDimension(name, value);
}
