// History and milestones: once a second the leader records the latest snapshot into a time series (per second
// for the last hour, per minute for the whole campaign) and records each milestone threshold first crossed.
import { readFileSync } from "node:fs";
import type { CampaignKeys } from "../core/keys.js";
import type { Logger } from "../core/logger.js";
import type { RedisClient } from "../core/redis.js";
import { parseSnapshot } from "../core/snapshot.js";
import { crossedMilestones, type Milestone } from "./milestones.js";

const script = readFileSync(new URL("./history-record-3.lua", import.meta.url), "utf8");

/** Second points are kept this long; minute points for the whole campaign. */
export const secondRetentionSeconds = 3600;
/** After a gap (no leader, or a new one) the expired seconds of at most this long are swept. */
const maxSweepSeconds = 600;

export const secondField = (unixSecond: number) => `s:${unixSecond}`;
export const minuteField = (unixSecond: number) => `m:${unixSecond - (unixSecond % 60)}`;

export interface HistoryRecorderOptions {
  readonly redis: RedisClient;
  readonly keys: CampaignKeys;
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
    const { redis, keys, leaseToken, isLeader, milestoneStep, logger } = this.options;
    if (!isLeader()) {
      this.lastSecond = undefined;
      this.milestonesUpTo = 0n;
      return;
    }
    try {
      const json = await redis.get(keys.latest);
      if (json === null) return;
      const snapshot = parseSnapshot(json);
      const second = Math.floor(Date.parse(snapshot.at) / 1000);
      const value = `${snapshot.total},${snapshot.count}`;
      const sweepFrom = Math.max(this.lastSecond ?? second - maxSweepSeconds, second - maxSweepSeconds);
      const expired: string[] = [];
      for (let s = sweepFrom + 1; s <= second; s++) expired.push(secondField(s - secondRetentionSeconds));
      const upTo = this.milestonesUpTo;
      const milestones =
        milestoneStep === undefined ? [] : crossedMilestones(snapshot, milestoneStep).filter((m) => BigInt(m.threshold) > upTo);
      const pairs = milestones.flatMap((m) => [m.threshold, JSON.stringify(m)]);
      const args = [leaseToken, value, secondField(second), minuteField(second), String(expired.length), ...expired, ...pairs];
      const result = (await redis.eval(script, 3, keys.leader, keys.history, keys.milestones, ...args)) as number | string[];
      if (result === -1) return;
      this.lastSecond = second;
      for (const m of milestones) if (BigInt(m.threshold) > this.milestonesUpTo) this.milestonesUpTo = BigInt(m.threshold);
      for (const threshold of Array.isArray(result) ? result : []) {
        const milestone = milestones.find((m) => m.threshold === String(threshold));
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
