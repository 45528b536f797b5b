// History and milestones: once a second the leader records the latest snapshot into a time series (per second
// for the last hour, per minute for the whole campaign) and records each milestone threshold first crossed, with
// when it was crossed and a pending notification per delivery target (the outbox), in one atomic step.
import type { Logger } from "../core/logger.js";
import type { NotificationTarget } from "../core/milestone.js";
import { parseSnapshot, type Snapshot } from "../core/snapshot.js";
import type { HistorySeries, Store } from "../core/store/index.js";
import { crossingFromHistory, crossingFromPrevious, type Observation } from "./first-crossing.js";
import { crossedThresholds, type Milestone } from "./milestones.js";

export interface HistoryRecorderOptions {
  readonly store: Store;
  readonly campaign: string;
  readonly leaseToken: string;
  /** The fold loop's view of the lease; the script checks it in Redis again. */
  readonly isLeader: () => boolean;
  /** Milestone every this many minor units; undefined: no milestones. */
  readonly milestoneStep: bigint | undefined;
  /** Each milestone recorded gets a pending notification for each of these (delivered by the MilestoneNotifier). */
  readonly notificationTargets?: readonly NotificationTarget[];
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Called with each milestone this aggregator recorded (first crossing, exactly once per campaign). */
  readonly onMilestone?: (milestone: Milestone) => void;
}

export class HistoryRecorder {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastSecond: number | undefined;
  private failing = false;
  /** This leader's last recorded point: a crossing since then was seen as it happened. */
  private previous: { second: number; total: bigint } | undefined;
  /** Thresholds recorded (by us or an earlier leader); read once per leadership. */
  private recorded: Set<string> | undefined;

  constructor(private readonly options: HistoryRecorderOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= this.record().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async record(): Promise<void> {
    const { store, campaign, leaseToken, isLeader, milestoneStep, logger } = this.options;
    if (!isLeader()) {
      this.lastSecond = undefined;
      this.previous = undefined;
      this.recorded = undefined;
      return;
    }
    try {
      const json = await store.snapshots.readLatest(campaign);
      if (json === null) return;
      const snapshot = parseSnapshot(json);
      const second = Math.floor(Date.parse(snapshot.at) / 1000);
      const total = BigInt(snapshot.total);
      this.recorded ??= new Set(await store.history.readMilestoneThresholds(campaign));
      const recorded = this.recorded;
      const thresholds =
        milestoneStep === undefined ? [] : crossedThresholds(total, milestoneStep).filter((t) => !recorded.has(t.toString()));
      const milestones = thresholds.length === 0 ? [] : await this.milestonesOf(thresholds, snapshot, { second, total, at: snapshot.at });
      const point = { unixSecond: second, total: snapshot.total, count: snapshot.count };
      const targets = this.options.notificationTargets ?? [];
      const result = await store.history.record(campaign, leaseToken, point, this.lastSecond, milestones, targets);
      if (!result.leader) return;
      this.lastSecond = second;
      this.previous = { second, total };
      for (const m of milestones) recorded.add(m.threshold);
      for (const threshold of result.recordedThresholds) {
        const milestone = milestones.find((m) => m.threshold === threshold);
        if (milestone) {
          logger.info({ milestone }, "milestone reached");
          this.options.onMilestone?.(milestone);
        }
      }
      if (this.failing) logger.info("history recording works again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) logger.warn({ err }, "recording history failed; retrying every second");
      this.failing = true;
    }
  }

  /** The milestones to record now, each timed from our previous point or, after a gap, from the recorded history. */
  private async milestonesOf(thresholds: readonly bigint[], snapshot: Snapshot, current: Observation): Promise<Milestone[]> {
    let series: HistorySeries | undefined;
    const recordedAt = new Date().toISOString();
    const out: Milestone[] = [];
    for (const threshold of thresholds) {
      let crossing = crossingFromPrevious(threshold, this.previous, current);
      if (crossing === undefined) {
        series ??= await this.options.store.history.readSeries(this.options.campaign);
        crossing = crossingFromHistory(threshold, series, current);
      }
      out.push({
        threshold: threshold.toString(),
        total: snapshot.total,
        count: snapshot.count,
        seq: snapshot.seq,
        ...crossing,
        recordedAt,
      });
    }
    return out;
  }
}
