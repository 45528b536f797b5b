// Prometheus metrics of one broadcaster: connections, fan-out, snapshot freshness, and pipeline counts from the latest snapshot.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { NotificationState, NotificationTarget } from "../core/milestone.js";
import { withTimeout } from "../core/timeout.js";
import type { SnapshotEntry } from "./snapshot-store.js";

export interface BroadcasterMetrics {
  readonly registry: Registry;
  readonly messagesSent: Counter;
  readonly snapshotsReceived: Counter;
  readonly redisReconnects: Counter;
}

/** Now minus the time of the fold that built the snapshot, in seconds (never negative: clocks differ a little). */
export function snapshotAgeSeconds(entry: SnapshotEntry, nowMs = Date.now()): number {
  return Math.max(0, nowMs - Date.parse(entry.snapshot.at)) / 1000;
}

export interface MetricSources {
  connections(): number;
  /** Latest snapshot of the configured campaign. */
  latest(): SnapshotEntry | undefined;
  /** The milestone outbox of the configured campaign: each notification's state, by threshold then target. */
  notifications?(): Promise<ReadonlyMap<string, Partial<Record<NotificationTarget, NotificationState>>>>;
  /** What /readyz answers (the load balancer's health check). */
  ready(): boolean;
  /** The command connection and the snapshot subscription are both up. */
  redisConnected(): boolean;
}

/** How long a scrape waits for the outbox figures before answering with the last ones. */
const outboxReadTimeoutMs = 200;

export function createBroadcasterMetrics(sources: MetricSources): BroadcasterMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: "sales_broadcaster_" });

  new Gauge({
    name: "sales_broadcaster_connections",
    help: "Open live viewer connections",
    registers,
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: "sales_broadcaster_ready",
    help: "1 while /readyz answers 200 (Redis up, subscribed, fresh snapshot), else 0",
    registers,
    collect() {
      this.set(sources.ready() ? 1 : 0);
    },
  });
  new Gauge({
    name: "sales_redis_connected",
    help: "1 while this process's Redis connections are ready, else 0",
    registers,
    collect() {
      this.set(sources.redisConnected() ? 1 : 0);
    },
  });
  new Gauge({
    name: "sales_snapshot_age_seconds",
    help: "Age of the latest snapshot: now minus the time of the fold that built it",
    registers,
    collect() {
      const entry = sources.latest();
      if (entry) this.set(snapshotAgeSeconds(entry));
    },
  });
  new Gauge({
    name: "sales_fold_last_duration_seconds",
    help: "Fold duration reported by the latest snapshot",
    registers,
    collect() {
      const entry = sources.latest();
      if (entry && typeof entry.snapshot.foldMs === "number") this.set(entry.snapshot.foldMs / 1000);
    },
  });
  // Counts since the campaign began, read from the latest snapshot (so every broadcaster reports the same values).
  new Gauge({
    name: "sales_ingest_events_total",
    help: "Payment events by outcome, from the latest snapshot: counted (payments and refunds), duplicate, rejected",
    labelNames: ["outcome"] as const,
    registers,
    collect() {
      const snapshot = sources.latest()?.snapshot;
      if (!snapshot) return;
      this.set({ outcome: "counted" }, snapshot.count + (snapshot.refunds ?? 0));
      this.set({ outcome: "duplicate" }, snapshot.duplicates ?? 0);
      this.set({ outcome: "rejected" }, snapshot.rejected ?? 0);
    },
  });

  // The milestone outbox as Redis holds it: campaign-wide, the same on every broadcaster, unaffected by aggregator
  // restarts and failovers (the aggregators' own counters start from zero with each process).
  const notifications = sources.notifications;
  if (notifications) {
    // Both gauges are collected in parallel by one scrape: they share one read of the outbox.
    let shared: { atMs: number; read: Promise<OutboxFigures | undefined> } | undefined;
    const figures = () => {
      if (!shared || Date.now() - shared.atMs > 500) {
        // Bounded: a Redis that does not answer (paused, partitioned) must not hold the scrape, or every other figure
        // of this broadcaster (snapshot age, readiness) would vanish from Prometheus exactly when they matter. The
        // drill found it: a paused Redis hid the stale-number alert.
        const read = withTimeout(notifications(), outboxReadTimeoutMs, () => new Error("outbox read timed out"));
        shared = { atMs: Date.now(), read: read.then(outboxFigures, () => undefined) };
      }
      return shared.read;
    };
    new Gauge({
      name: "sales_milestone_notifications",
      help: "Milestone notifications in the outbox by target and state: pending (not acknowledged yet) or delivered",
      labelNames: ["target", "state"] as const,
      registers,
      async collect() {
        const f = await figures();
        if (!f) return; // Redis unreachable: keep the last values rather than report zeros
        this.reset();
        for (const [key, n] of f.byState) {
          const [target = "", state = ""] = key.split("/");
          this.set({ target, state }, n);
        }
      },
    });
    new Gauge({
      name: "sales_milestone_notification_failed_attempts",
      help: "Failed milestone delivery attempts recorded in the outbox, by target (each is retried with backoff)",
      labelNames: ["target"] as const,
      registers,
      async collect() {
        const f = await figures();
        if (!f) return;
        this.reset();
        for (const [target, n] of f.failures) this.set({ target }, n);
      },
    });
  }

  return {
    registry,
    messagesSent: new Counter({ name: "sales_broadcaster_messages_sent_total", help: "Snapshot messages sent to live viewers", registers }),
    snapshotsReceived: new Counter({
      name: "sales_broadcaster_snapshots_received_total",
      help: "New snapshots received from Redis (superseding the previous one)",
      registers,
    }),
    redisReconnects: new Counter({
      name: "sales_broadcaster_redis_reconnects_total",
      help: "Times one of the broadcaster's Redis connections (commands, subscription) was lost and re-established",
      registers,
    }),
  };
}

interface OutboxFigures {
  /** "<target>/<state>" -> notifications */
  readonly byState: Map<string, number>;
  /** target -> failed attempts */
  readonly failures: Map<string, number>;
}

function outboxFigures(states: ReadonlyMap<string, Partial<Record<NotificationTarget, NotificationState>>>): OutboxFigures {
  const byState = new Map<string, number>();
  const failures = new Map<string, number>();
  for (const targets of states.values()) {
    for (const [target, n] of Object.entries(targets)) {
      if (!n) continue;
      const key = `${target}/${n.state}`;
      byState.set(key, (byState.get(key) ?? 0) + 1);
      failures.set(target, (failures.get(target) ?? 0) + n.failures);
    }
  }
  return { byState, failures };
}
