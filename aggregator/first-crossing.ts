// When a threshold was first crossed: exact when the recorder saw the total below it a moment before, otherwise
// estimated from the recorded history (per-second points for the last hour, per-minute points before that).
import type { Milestone } from "../core/milestone.js";
import type { HistorySeries } from "../core/store/index.js";

export type CrossingTime = Pick<Milestone, "at" | "timing" | "after" | "by">;

/** The snapshot being recorded now: the first one the recorder sees at or above the threshold. */
export interface Observation {
  readonly second: number;
  readonly total: bigint;
  /** The snapshot's own time (ISO-8601, milliseconds). */
  readonly at: string;
}

/**
 * Two recordings at most this far apart still see a crossing as it happened: the recorder runs once a second and a
 * second is skipped now and then by timer drift. Anything longer is a gap (a restart, a failover, an outage).
 */
export const exactGapSeconds = 2;

/** Exact timing from the recorder's own previous point, or undefined when that point does not decide it. */
export function crossingFromPrevious(
  threshold: bigint,
  previous: { readonly second: number; readonly total: bigint } | undefined,
  current: Observation,
): CrossingTime | undefined {
  if (!previous || previous.total >= threshold || current.second - previous.second > exactGapSeconds) return undefined;
  return { at: current.at, timing: "exact" };
}

/** A recorded value and the times it proves: below the threshold until `belowAt`, at or above it from `aboveAt`. */
interface Sample {
  readonly t: number;
  readonly total: bigint;
  readonly belowAt: number;
  readonly aboveAt: number;
  readonly perSecond: boolean;
  readonly current: boolean;
}

function samplesOf(series: HistorySeries, current: Observation): Sample[] {
  const minutesWithSeconds = new Set(series.seconds.map(([s]) => s - (s % 60)));
  const out: Sample[] = [];
  for (const [s, total] of series.seconds) {
    if (s < current.second) out.push({ t: s, total: BigInt(total), belowAt: s, aboveAt: s, perSecond: true, current: false });
  }
  // A minute point holds the last value recorded in its minute, at an unknown second of it: it proves "below" from the
  // minute's start and "above" only from its end. Minutes that still have second points are read from those.
  for (const [m, total] of series.minutes) {
    if (m >= current.second || minutesWithSeconds.has(m)) continue;
    out.push({ t: m, total: BigInt(total), belowAt: m, aboveAt: Math.min(m + 59, current.second), perSecond: false, current: false });
  }
  out.push({ t: current.second, total: current.total, belowAt: current.second, aboveAt: current.second, perSecond: true, current: true });
  return out.sort((a, b) => a.t - b.t);
}

const iso = (unixSeconds: number) => new Date(Math.round(unixSeconds * 1000)).toISOString();

/**
 * The first crossing of `threshold` in the recorded history followed by `current` (whose total is at or above it):
 * the first point at or above and the point just before it bound it; within exactGapSeconds it is exact, otherwise
 * the time is interpolated linearly between them (the total rises at the average pace of the gap).
 */
export function crossingFromHistory(threshold: bigint, series: HistorySeries, current: Observation): CrossingTime {
  let below: Sample | undefined;
  let above: Sample | undefined;
  for (const sample of samplesOf(series, current)) {
    if (sample.total >= threshold) {
      above = sample;
      break;
    }
    below = sample;
  }
  const hi = above ?? samplesOf({ seconds: [], minutes: [] }, current)[0]!;
  const hiAt = hi.current ? Date.parse(current.at) / 1000 : hi.aboveAt;
  const hiIso = hi.current ? current.at : iso(hiAt);
  if (below === undefined) return { at: hiIso, timing: "estimated", by: hiIso };
  if (hi.perSecond && hi.aboveAt - below.belowAt <= exactGapSeconds) return { at: hiIso, timing: "exact" };
  const fraction = Number(((threshold - below.total) * 1_000_000n) / (hi.total - below.total)) / 1_000_000;
  return { at: iso(below.belowAt + fraction * (hiAt - below.belowAt)), timing: "estimated", after: iso(below.belowAt), by: hiIso };
}
