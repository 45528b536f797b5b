// Judges each fault from what the viewers saw and Prometheus evaluated: the longest freeze, reconnects, totals that
// went down without refunds, older epochs accepted, and which alerts fired and resolved.
import type { AlertInterval } from "./alerts.js";
import type { DrillViewer } from "./viewers.js";

export interface FaultWindow {
  readonly name: string;
  readonly description: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly maxFreezeMs: number;
  readonly expectedAlerts: readonly string[];
  readonly notes: readonly string[];
}

export interface FaultVerdict {
  readonly name: string;
  readonly description: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly longestFreezeMs: number;
  readonly maxFreezeMs: number;
  readonly reconnects: number;
  readonly reconnectP50Ms: number | undefined;
  readonly reconnectMaxMs: number | undefined;
  readonly neverReconnected: number;
  readonly totalWentDown: number;
  readonly olderEpochAccepted: number;
  /** Snapshots with a lower seq than one a viewer had, delivered during the fault (dropped by the viewer's seq rule). */
  readonly lowerSeqDropped: number;
  readonly alerts: ReadonlyArray<{ alertname: string; firedAtMs: number; resolvedAtMs: number | undefined }>;
  readonly missingAlerts: readonly string[];
  readonly notes: readonly string[];
  readonly survived: boolean;
}

function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function judge(window: FaultWindow, viewers: readonly DrillViewer[], alerts: readonly AlertInterval[]): FaultVerdict {
  const { startMs, endMs } = window;
  let longestFreezeMs = 0;
  let totalWentDown = 0;
  let olderEpochAccepted = 0;
  const reconnectMs: number[] = [];
  let neverReconnected = 0;
  let lowerSeqDropped = 0;
  for (const viewer of viewers) {
    lowerSeqDropped += viewer.lowerSeqDeliveredAtMs.filter((atMs) => atMs > startMs && atMs <= endMs).length;
    const seen = viewer.seen;
    let previous: (typeof seen)[number] | undefined;
    for (const s of seen) if (s.atMs <= startMs) previous = s;
    for (const s of seen) {
      if (s.atMs <= startMs) continue;
      if (s.atMs > endMs) break;
      const from = previous ? Math.max(previous.atMs, startMs - 60_000) : startMs;
      longestFreezeMs = Math.max(longestFreezeMs, s.atMs - from);
      if (previous && previous.epoch === s.epoch) {
        const drop = previous.total - s.total;
        if (drop > 0n && s.refunded - previous.refunded < drop) totalWentDown++;
      }
      if (previous && previous.epoch !== s.epoch && s.epoch < previous.epoch) olderEpochAccepted++;
      previous = s;
    }
    if (previous && previous.atMs < endMs) longestFreezeMs = Math.max(longestFreezeMs, endMs - Math.max(previous.atMs, startMs));
    for (const outage of viewer.outages) {
      if (outage.lostAtMs < startMs || outage.lostAtMs > endMs) continue;
      if (outage.backAtMs === undefined) neverReconnected++;
      else reconnectMs.push(outage.backAtMs - outage.lostAtMs);
    }
  }
  const during = alerts.filter((a) => a.firedAtMs <= endMs && (a.resolvedAtMs ?? Number.POSITIVE_INFINITY) >= startMs);
  const names = new Set(during.map((a) => a.alertname));
  const missingAlerts = window.expectedAlerts.filter((name) => !names.has(name));
  const survived = longestFreezeMs <= window.maxFreezeMs && neverReconnected === 0 && totalWentDown === 0 && olderEpochAccepted === 0;
  return {
    name: window.name,
    description: window.description,
    startMs,
    endMs,
    longestFreezeMs,
    maxFreezeMs: window.maxFreezeMs,
    reconnects: reconnectMs.length + neverReconnected,
    reconnectP50Ms: percentile(reconnectMs, 50),
    reconnectMaxMs: reconnectMs.length ? Math.max(...reconnectMs) : undefined,
    neverReconnected,
    totalWentDown,
    olderEpochAccepted,
    lowerSeqDropped,
    alerts: during.map(({ alertname, firedAtMs, resolvedAtMs }) => ({ alertname, firedAtMs, resolvedAtMs })),
    missingAlerts,
    notes: window.notes,
    survived,
  };
}
