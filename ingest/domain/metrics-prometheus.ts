// The prom-client backend of IngestMetrics: one registry per process, exposed by the local gateway on /metrics.
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { IngestMetrics } from "./metrics.js";

export const ingestRegistry = new Registry();
collectDefaultMetrics({ register: ingestRegistry, prefix: "sales_ingest_" });
const registers = [ingestRegistry];

const events = new Counter({
  name: "sales_ingest_events_total",
  help: "Payment events by outcome: counted, duplicate, rejected (ID_CONFLICT included)",
  labelNames: ["source", "outcome"] as const,
  registers,
});

const rejectedByCode = new Counter({
  name: "sales_ingest_rejected_total",
  help: "Payment events rejected, by source and item code",
  labelNames: ["source", "code"] as const,
  registers,
});

const requests = new Counter({
  name: "sales_ingest_requests_total",
  help: "Ingest requests by source and HTTP status",
  labelNames: ["source", "status"] as const,
  registers,
});

const writeSeconds = new Histogram({
  name: "sales_ingest_write_seconds",
  help: "Time to count one batch in Redis",
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers,
});

const deadLetters = new Counter({
  name: "sales_ingest_dead_letters_total",
  help: "Records or events that can never be counted (bad JSON, schema, currency, id conflict), by source and code",
  labelNames: ["source", "code"] as const,
  registers,
});

const retriedRecords = new Counter({
  name: "sales_ingest_retried_records_total",
  help: "Records handed back to the event source for redelivery after a passing failure (Redis unreachable, timeout)",
  labelNames: ["source"] as const,
  registers,
});

const batchItemFailures = new Counter({
  name: "sales_ingest_batch_item_failures_total",
  help: "Items returned in batchItemFailures, to be redelivered by the event source",
  labelNames: ["source"] as const,
  registers,
});

const redisErrors = new Counter({
  name: "sales_ingest_redis_errors_total",
  help: "Redis calls of ingest that failed (counting, rejections, dead letters, start-up checks)",
  labelNames: ["source"] as const,
  registers,
});

export const prometheusIngestMetrics: IngestMetrics = {
  accepted: (source, n) => events.inc({ source, outcome: "counted" }, n),
  duplicates: (source, n) => events.inc({ source, outcome: "duplicate" }, n),
  rejected: (source, code, n) => {
    events.inc({ source, outcome: "rejected" }, n);
    rejectedByCode.inc({ source, code }, n);
  },
  deadLettered: (source, code, n) => deadLetters.inc({ source, code }, n),
  retried: (source) => retriedRecords.inc({ source }),
  batchItemFailures: (source, n) => batchItemFailures.inc({ source }, n),
  redisError: (source) => redisErrors.inc({ source }),
  writeLatency: (_source, seconds) => writeSeconds.observe(seconds),
  response: (source, status) => requests.inc({ source, status: String(status) }),
  // Scraped, not pushed: nothing to do at the end of an invocation.
  flush: () => undefined,
};
