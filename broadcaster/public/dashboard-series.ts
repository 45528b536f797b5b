// Pure figures for the dashboard from cumulative history points: rates over elapsed time, minute bars that show the
// unfinished minute as partial and outages as gaps, hourly totals, and when a goal was first reached.
//
// The campaign's counters start at 0 at its start (CAMPAIGN_START, else the first recorded point), so the first
// minute is measured from 0 rather than dropped.

/** [unix second, cumulative net total, cumulative payments]: the last value recorded in that second or minute. */
export type Point = readonly [unixSecond: number, total: number, count: number];

/** The last point at or before `t` (points sorted by time), or undefined. */
export function valueAt(points: readonly Point[], t: number): Point | undefined {
  let lo = 0;
  let hi = points.length - 1;
  let found: Point | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = points[mid] as Point;
    if (p[0] <= t) {
      found = p;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface Rate {
  readonly perMinuteTotal: number;
  readonly perMinuteCount: number;
  /** Seconds the rate was measured over (shorter than asked in the campaign's first minute). */
  readonly overSeconds: number;
}

/**
 * Sales per minute over the last `windowSeconds`, or over the time since the start when the campaign is younger: at
 * 5 s, 1,000,000 sold is 12,000,000 a minute, not 1,000,000. Undefined when there is nothing to measure against.
 */
export function rateOver(seconds: readonly Point[], startSec: number, now: Point, windowSeconds: number): Rate | undefined {
  const windowStart = Math.max(startSec, now[0] - windowSeconds);
  const base: Point | undefined = windowStart <= startSec ? [startSec, 0, 0] : valueAt(seconds, windowStart);
  if (!base) return undefined;
  const overSeconds = now[0] - base[0];
  if (overSeconds < 1) return undefined;
  return {
    perMinuteTotal: ((now[1] - base[1]) * 60) / overSeconds,
    perMinuteCount: ((now[2] - base[2]) * 60) / overSeconds,
    overSeconds,
  };
}

export interface MinuteBars {
  /** Minute starts, one per minute from the campaign's first to the current one. */
  readonly xs: number[];
  /** Sales in each finished minute; null where nothing was recorded (an outage: a gap, not a zero). */
  readonly full: Array<number | null>;
  /** Sales so far in the unfinished current minute (null elsewhere): drawn apart, so it does not read as a plunge. */
  readonly partial: Array<number | null>;
  /** True where a minute follows a gap: its value is the average per minute since the last recorded one. */
  readonly averaged: boolean[];
  /** Seconds elapsed in the current minute. */
  readonly partialSeconds: number;
}

export function minuteBars(minutes: readonly Point[], startSec: number, now: Point | undefined): MinuteBars {
  const out: MinuteBars = { xs: [], full: [], partial: [], averaged: [], partialSeconds: 0 };
  const first = minutes[0];
  const startMinute = Math.floor(Math.min(startSec, first ? first[0] : startSec) / 60) * 60;
  const lastPoint = minutes[minutes.length - 1];
  const endSecond = now ? now[0] : lastPoint ? lastPoint[0] : startSec;
  const endMinute = Math.floor(endSecond / 60) * 60;
  const byMinute = new Map<number, Point>();
  for (const p of minutes) byMinute.set(Math.floor(p[0] / 60) * 60, p);
  let known: Point = [startMinute - 60, 0, 0];
  for (let m = startMinute; m <= endMinute; m += 60) {
    out.xs.push(m);
    const p = byMinute.get(m);
    if (m === endMinute && now) {
      out.full.push(null);
      out.partial.push(now[1] - known[1]);
      out.averaged.push(false);
      Object.assign(out, { partialSeconds: now[0] - m + 1 });
      continue;
    }
    out.partial.push(null);
    if (!p) {
      out.full.push(null);
      out.averaged.push(false);
      continue;
    }
    const spanMinutes = Math.max(1, Math.round((m - Math.floor(known[0] / 60) * 60) / 60));
    out.full.push((p[1] - known[1]) / spanMinutes);
    out.averaged.push(spanMinutes > 1);
    known = p;
  }
  return out;
}

export interface HourRow {
  /** Unix second of the hour's start in the dashboard's zone. */
  readonly hourStart: number;
  readonly total: number;
  readonly count: number;
  /** Cumulative total at the end of the hour (or now). */
  readonly cumulative: number;
  readonly partial: boolean;
}

/** Sales per hour (in the zone `hourStartOf` uses), newest first; the current hour is partial. */
export function hourlyRows(minutes: readonly Point[], now: Point | undefined, hourStartOf: (unixSecond: number) => number): HourRow[] {
  const points = now ? [...minutes.filter((p) => p[0] < now[0]), now] : [...minutes];
  const lastInHour = new Map<number, Point>();
  for (const p of points) lastInHour.set(hourStartOf(p[0]), p);
  const hours = [...lastInHour.keys()].sort((a, b) => a - b);
  const rows: HourRow[] = [];
  let before: Point = [0, 0, 0];
  const currentHour = now ? hourStartOf(now[0]) : undefined;
  for (const hour of hours) {
    const last = lastInHour.get(hour) as Point;
    rows.push({
      hourStart: hour,
      total: last[1] - before[1],
      count: last[2] - before[2],
      cumulative: last[1],
      partial: hour === currentHour,
    });
    before = last;
  }
  return rows.reverse();
}

/** The time of the first point at or above `goal`, or undefined. */
export function firstReaching(points: readonly Point[], goal: number): number | undefined {
  for (const p of points) if (p[1] >= goal) return p[0];
  return undefined;
}

/** The minute series for the whole campaign, with the finer per-second points where they exist (the last hour). */
export function mergeSeries(minutes: readonly Point[], seconds: readonly Point[]): Point[] {
  const firstSecond = seconds[0];
  if (!firstSecond) return [...minutes];
  return [...minutes.filter((p) => p[0] < firstSecond[0] - 60), ...seconds];
}

/** Appends or updates the point of `p`'s second (live snapshots arrive several times a second). */
export function upsertPoint(points: Point[], p: Point): void {
  const last = points[points.length - 1];
  if (last && last[0] === p[0]) points[points.length - 1] = p;
  else if (!last || last[0] < p[0]) points.push(p);
}
