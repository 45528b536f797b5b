// History and milestones: once a second the leader records the latest snapshot into a time series (per second
// for the last hour, per minute for the whole campaign) and records each milestone threshold first crossed.
import type { Logger } from "../core/logger.js";
import { parseSnapshot } from "../core/snapshot.js";
import type { Store } from "../core/store/index.js";
import { crossedMilestones, type Milestone } from "./milestones.js";

export interface HistoryRecorderOptions {
  readonly store: Store;
  readonly campaign: string;
  readonly leaseToken: string;
  /** The fold loop's view of the lease; the script checks it in Redis again. */
  readonly isLeader: () => boolean;
  /** Milestone every this many minor units; undefined: no milestones. */
  readonly milestoneStep: bigint | undefined;
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
  /** Milestones up to here are recorded (by us or an earlier leader): not sent again. */
  private milestonesUpTo = 0n;

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
      this.milestonesUpTo = 0n;
      return;
    }
    try {
      const json = await store.snapshots.readLatest(campaign);
      if (json === null) return;
      const snapshot = parseSnapshot(json);
      const second = Math.floor(Date.parse(snapshot.at) / 1000);
      const upTo = this.milestonesUpTo;
      const milestones =
        milestoneStep === undefined ? [] : crossedMilestones(snapshot, milestoneStep).filter((m) => BigInt(m.threshold) > upTo);
      const point = { unixSecond: second, total: snapshot.total, count: snapshot.count };
      const result = await store.history.record(campaign, leaseToken, point, this.lastSecond, milestones);
      if (!result.leader) return;
      this.lastSecond = second;
      for (const m of milestones) if (BigInt(m.threshold) > this.milestonesUpTo) this.milestonesUpTo = BigInt(m.threshold);
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
}
