// The campaign's time series and milestones in Redis, and the codec of their fields: history s:<unix second> (kept
// an hour) and m:<minute start> (the whole campaign) -> "<total>,<count>"; milestones <threshold> -> milestone JSON,
// recorded together with their pending notifications (milestone-notifications.ts reads and settles those).
import type { Milestone, MilestoneRecord, NotificationState, NotificationTarget } from "../milestone.js";
import type { RedisClient } from "../redis.js";
import { registerScripts, runScript } from "./commands.js";
import { campaignKeys } from "./keys.js";
import { groupStates, pendingState } from "./milestone-notifications.js";

/** Second points are kept this long; minute points for the whole campaign. */
export const secondRetentionSeconds = 3600;
/** After a gap (no leader, or a new one) the expired seconds of at most this long are swept. */
const maxSweepSeconds = 600;

const secondField = (unixSecond: number) => `s:${unixSecond}`;
const minuteField = (unixSecond: number) => `m:${unixSecond - (unixSecond % 60)}`;

/** [unix second, cumulative net total (decimal string), cumulative payment count]. */
export type HistoryPoint = readonly [unixSecond: number, total: string, count: number];

export interface HistoryRange {
  /** Unix seconds, inclusive; undefined: from the first point. */
  readonly from: number | undefined;
  /** Unix seconds, inclusive; undefined: up to now. */
  readonly to: number | undefined;
  /** Seconds between points; under 60 reads the per-second series (last hour only). Default: 1 for ranges within the last hour, else 60. */
  readonly step: number | undefined;
}

export interface HistoryPointInput {
  readonly unixSecond: number;
  readonly total: string;
  readonly count: number;
}

export type RecordResult = { readonly leader: false } | { readonly leader: true; readonly recordedThresholds: string[] };

/** The decoded history hash: both resolutions, each sorted by time. */
export interface HistorySeries {
  readonly seconds: readonly HistoryPoint[];
  readonly minutes: readonly HistoryPoint[];
}

/** Decodes the history hash; a field or value in another format is skipped. */
export function decodeHistory(hash: Readonly<Record<string, string>>): HistorySeries {
  const seconds: HistoryPoint[] = [];
  const minutes: HistoryPoint[] = [];
  for (const [field, value] of Object.entries(hash)) {
    const series = field.startsWith("s:") ? seconds : field.startsWith("m:") ? minutes : undefined;
    const second = Number(field.slice(2));
    if (series === undefined || !Number.isInteger(second)) continue;
    const [total, count] = value.split(",");
    if (total === undefined || !/^-?\d+$/.test(total)) continue;
    series.push([second, total, Number(count ?? 0)]);
  }
  const byTime = (a: HistoryPoint, b: HistoryPoint) => a[0] - b[0];
  return { seconds: seconds.sort(byTime), minutes: minutes.sort(byTime) };
}

/** Points of one resolution, sorted by time, each the last value seen in its step-sized bucket. */
export function selectPoints(series: HistorySeries, range: HistoryRange, nowSecond: number): { step: number; points: HistoryPoint[] } {
  const step = range.step ?? (range.from !== undefined && nowSecond - range.from <= secondRetentionSeconds ? 1 : 60);
  const from = range.from ?? 0;
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const buckets = new Map<number, HistoryPoint>();
  for (const point of step < 60 ? series.seconds : series.minutes) {
    const second = point[0];
    if (!(second >= from && second <= to)) continue;
    const bucket = second - (second % step);
    const existing = buckets.get(bucket);
    if (!existing || existing[0] < second) buckets.set(bucket, point);
  }
  const points = [...buckets.values()].sort((a, b) => a[0] - b[0]);
  return { step, points };
}

/** The delivery summary of one milestone's notifications. */
export function deliveryOf(notifications: Partial<Record<NotificationTarget, NotificationState>>): MilestoneRecord["delivery"] {
  const states = Object.values(notifications);
  if (states.length === 0) return "none";
  return states.every((n) => n.state === "delivered") ? "delivered" : "pending";
}

/** Parses the milestones hash (threshold -> JSON), sorted by threshold; a field that is not JSON is skipped. */
export function parseMilestones(hash: Readonly<Record<string, string>>): Milestone[] {
  const out: Milestone[] = [];
  for (const json of Object.values(hash)) {
    try {
      out.push(JSON.parse(json) as Milestone);
    } catch {
      // A hand-edited field: skip it rather than break the dashboard.
    }
  }
  return out.sort((a, b) => (BigInt(a.threshold) < BigInt(b.threshold) ? -1 : 1));
}

export class HistoryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
  }

  /**
   * Records one point (its second and its minute) and the milestones not recorded yet (HSETNX), only while `owner`
   * holds the lease, and with each milestone recorded now a pending notification for each of `targets`, due at once
   * (record-history-n.lua, one atomic step). Sweeps the second points that expired since `previousSecond` (at most
   * the last 10 minutes' worth after a gap). Repeating a call changes nothing.
   */
  async record(
    campaign: string,
    owner: string,
    point: HistoryPointInput,
    previousSecond: number | undefined,
    milestones: readonly Milestone[],
    targets: readonly NotificationTarget[] = [],
    nowMs = Date.now(),
  ): Promise<RecordResult> {
    const keys = campaignKeys(campaign, this.shards);
    const second = point.unixSecond;
    const sweepFrom = Math.max(previousSecond ?? second - maxSweepSeconds, second - maxSweepSeconds);
    const expired: string[] = [];
    for (let s = sweepFrom + 1; s <= second; s++) expired.push(secondField(s - secondRetentionSeconds));
    const pairs = milestones.flatMap((m) => [m.threshold, JSON.stringify(m)]);
    const args = [
      owner,
      `${point.total},${point.count}`,
      secondField(second),
      minuteField(second),
      expired.length,
      ...expired,
      targets.length,
      ...targets,
      nowMs,
      JSON.stringify(pendingState(nowMs)),
      ...pairs,
    ];
    const outboxes = targets.map((t) => keys.outbox(t));
    const result = await runScript<number | Array<string | number>>(
      this.redis,
      "recordHistory",
      [keys.leader, keys.history, keys.milestones, keys.notifications, ...outboxes],
      args,
    );
    if (result === -1) return { leader: false };
    return { leader: true, recordedThresholds: Array.isArray(result) ? result.map(String) : [] };
  }

  /** The whole recorded series of a campaign (select a range with selectPoints). */
  async readSeries(campaign: string): Promise<HistorySeries> {
    return decodeHistory(await this.redis.hgetall(campaignKeys(campaign, this.shards).history));
  }

  /** The thresholds recorded for the campaign (a new leader's starting point). */
  async readMilestoneThresholds(campaign: string): Promise<string[]> {
    return this.redis.hkeys(campaignKeys(campaign, this.shards).milestones);
  }

  /** Every milestone recorded for the campaign, by threshold, with the delivery state of its notifications. */
  async readMilestones(campaign: string): Promise<MilestoneRecord[]> {
    const keys = campaignKeys(campaign, this.shards);
    const [milestones, notifications] = await Promise.all([this.redis.hgetall(keys.milestones), this.redis.hgetall(keys.notifications)]);
    const states = groupStates(notifications);
    return parseMilestones(milestones).map((m) => {
      const byTarget = states.get(m.threshold) ?? {};
      return { ...m, delivery: deliveryOf(byTarget), notifications: byTarget };
    });
  }
}
