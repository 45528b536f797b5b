// What a milestone notification carries, and the shape of a delivery target's sender.
import { idempotencyKey, type Milestone, type NotificationTarget } from "../core/milestone.js";

export interface MilestonePayload extends Milestone {
  readonly type: "milestone";
  /** `<campaign>:<threshold>`: the same on every delivery of this milestone, so a receiver can drop repeats. */
  readonly idempotencyKey: string;
  readonly campaign: string;
}

export function milestonePayload(campaign: string, milestone: Milestone): MilestonePayload {
  return { type: "milestone", idempotencyKey: idempotencyKey(campaign, milestone.threshold), campaign, ...milestone };
}

/** Delivers one notification; resolves only when the target acknowledged it, throws otherwise. */
export interface MilestoneSender {
  readonly target: NotificationTarget;
  deliver(payload: MilestonePayload, signal: AbortSignal): Promise<void>;
  close(): void;
}
