// Prometheus metrics of the ingest process (exposed by the gateway on /metrics).
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export const ingestRegistry = new Registry();
collectDefaultMetrics({ register: ingestRegistry, prefix: "sales_ingest_" });

export const ingestEvents = new Counter({
  name: "sales_ingest_events_total",
  help: "Payment events by outcome: counted, duplicate, conflict, rejected",
  labelNames: ["source", "outcome"] as const,
  registers: [ingestRegistry],
});

export const ingestRequests = new Counter({
  name: "sales_ingest_requests_total",
  help: "Ingest requests by source and HTTP status",
  labelNames: ["source", "status"] as const,
  registers: [ingestRegistry],
});

export const ingestWriteSeconds = new Histogram({
  name: "sales_ingest_write_seconds",
  help: "Time to count one batch in Redis",
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [ingestRegistry],
});

export const ingestDeadLetters = new Counter({
  name: "sales_ingest_dead_letters_total",
  help: "Records or events that can never be counted (bad JSON, schema, currency, id conflict), by source and code",
  labelNames: ["source", "code"] as const,
  registers: [ingestRegistry],
});

export const ingestRetriedRecords = new Counter({
  name: "sales_ingest_retried_records_total",
  help: "Records handed back to the event source for redelivery after a passing failure (Redis unreachable, timeout)",
  labelNames: ["source"] as const,
  registers: [ingestRegistry],
});
