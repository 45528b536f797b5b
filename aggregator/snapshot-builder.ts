// Builds the snapshot body (everything but seq, which the publish script assigns) from folded totals.
import type { DimensionTotals, Snapshot, SnapshotBody } from "../core/snapshot.js";
import { type CounterTotals, type DimensionSum, otherBucket, withoutDegraded } from "../core/store/index.js";
import type { Pace } from "./pace.js";

/** Dashboards show the top dimensions; the full set can grow with every new channel name. */
export const topDimensionCount = 20;

export interface SnapshotContext {
  readonly campaign: string;
  readonly epoch: string;
  readonly currency: string;
  readonly atMs: number;
  readonly foldMs: number;
  readonly perMinute: Pace;
}

function byAmountDesc([nameA, a]: [string, DimensionSum], [nameB, b]: [string, DimensionSum]): number {
  if (a.amount !== b.amount) return a.amount > b.amount ? -1 : 1;
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

/**
 * At most `limit` dimensions: all of them when they fit, else the `limit - 1` largest names by net amount (ties by
 * name, so the order is stable between folds) and "(other)" holding the rest with the bucket itself, so a breakdown
 * still adds up to every payment that named a dimension.
 */
export function topDimensions(map: ReadonlyMap<string, DimensionSum>, limit = topDimensionCount): Record<string, DimensionTotals> {
  const sorted = [...map.entries()].sort(byAmountDesc);
  let shown = sorted;
  if (sorted.length > limit) {
    const named = sorted.filter(([name]) => name !== otherBucket).slice(0, limit - 1);
    const kept = new Set(named.map(([name]) => name));
    const rest = sorted.filter(([name]) => !kept.has(name));
    const other = rest.reduce((sum, [, d]) => ({ amount: sum.amount + d.amount, count: sum.count + d.count }), { amount: 0n, count: 0n });
    shown = [...named, [otherBucket, other]];
  }
  // fromEntries defines own properties, so a channel named "__proto__" cannot touch the prototype.
  return Object.fromEntries(shown.map(([name, sum]) => [name, { total: sum.amount.toString(), count: Number(sum.count) }]));
}

export function buildSnapshotBody(totals: CounterTotals, ctx: SnapshotContext): SnapshotBody {
  return {
    campaign: ctx.campaign,
    epoch: ctx.epoch,
    at: new Date(ctx.atMs).toISOString(),
    currency: ctx.currency,
    total: totals.net.toString(),
    count: Number(totals.count),
    refunded: totals.refunded.toString(),
    refunds: Number(totals.refunds),
    perMinute: ctx.perMinute,
    channels: topDimensions(totals.channels),
    categories: topDimensions(totals.categories),
    duplicates: Number(totals.dups),
    rejected: Number(totals.rejected),
    foldMs: Math.round(ctx.foldMs * 100) / 100,
  };
}

export interface DegradedContext {
  readonly atMs: number;
  readonly foldMs: number;
  readonly reason: string;
  readonly sinceMs: number;
}

/**
 * The last good snapshot, republished while the counters are below it: the same figures (viewers keep the number they
 * saw), a fresh `at` (the pipeline is alive), and the degraded marks saying why it is frozen.
 */
export function buildDegradedBody(good: Snapshot, ctx: DegradedContext): SnapshotBody {
  const { seq: _seq, ...figures } = withoutDegraded(good);
  return {
    ...figures,
    at: new Date(ctx.atMs).toISOString(),
    foldMs: Math.round(ctx.foldMs * 100) / 100,
    degraded: true,
    degradedReason: ctx.reason,
    degradedSince: new Date(ctx.sinceMs).toISOString(),
  };
}
