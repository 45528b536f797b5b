// The milestone outbox in Redis: claim due notifications (lease holder only), settle each attempt, read the delivery
// states. Entries are written together with their milestone by record-history-n.lua; codec of the state JSON here.
import type { Milestone, NotificationState, NotificationTarget } from "../milestone.js";
import type { RedisClient } from "../redis.js";
import { registerScripts, runScript } from "./commands.js";
import { UnexpectedReplyError } from "./errors.js";
import { campaignKeys } from "./keys.js";

/** A notification claimed for delivery: its claim expires at `claimUntilMs` unless settled first. */
export interface ClaimedNotification {
  readonly target: NotificationTarget;
  readonly threshold: string;
  /** The attempt number this claim is (1 for the first delivery). */
  readonly attempt: number;
  /** Undefined when the milestone record is missing (it is never deleted by the code; a hand edit). */
  readonly milestone: Milestone | undefined;
}

export type ClaimResult =
  | { readonly leader: false }
  | { readonly leader: true; readonly pending: number; readonly claimed: readonly ClaimedNotification[] };

export type SettleOutcome =
  | { readonly kind: "delivered" }
  | { readonly kind: "failed"; readonly error: string; readonly retryAtMs: number };

/** The state a notification starts in, written next to its milestone. */
export function pendingState(nowMs: number): NotificationState {
  return { state: "pending", attempts: 0, failures: 0, queuedAt: new Date(nowMs).toISOString() };
}

/** Decodes a state written by the scripts; drops the claimer (internal) and anything not in the format. */
export function decodeNotificationState(json: string): NotificationState | undefined {
  try {
    const raw = JSON.parse(json) as Record<string, unknown>;
    if (raw.state !== "pending" && raw.state !== "delivered") return undefined;
    const text = (name: string) => (typeof raw[name] === "string" ? { [name]: raw[name] as string } : {});
    return {
      state: raw.state,
      attempts: Number(raw.attempts ?? 0),
      failures: Number(raw.failures ?? 0),
      ...text("queuedAt"),
      ...text("lastAttemptAt"),
      ...text("nextAttemptAt"),
      ...text("lastError"),
      ...text("deliveredAt"),
    };
  } catch {
    return undefined;
  }
}

/** Splits a notifications hash field "<target>:<threshold>". */
export function parseNotificationField(field: string): { target: string; threshold: string } | undefined {
  const match = /^([a-z]+):(\d+)$/.exec(field);
  return match ? { target: match[1]!, threshold: match[2]! } : undefined;
}

const maxErrorLength = 300;

export class NotificationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
  }

  /** Claims up to `limit` due notifications of `target` until `claimUntilMs`, while `owner` holds the lease. */
  async claim(
    campaign: string,
    owner: string,
    target: NotificationTarget,
    nowMs: number,
    claimUntilMs: number,
    limit: number,
  ): Promise<ClaimResult> {
    const keys = campaignKeys(campaign, this.shards);
    const reply = await runScript<number | Array<string | number>>(
      this.redis,
      "claimNotifications",
      [keys.leader, keys.outbox(target), keys.notifications, keys.milestones],
      [owner, target, nowMs, claimUntilMs, limit, new Date(nowMs).toISOString()],
    );
    if (reply === -1) return { leader: false };
    if (!Array.isArray(reply) || reply.length % 3 !== 1)
      throw new UnexpectedReplyError(`claim-notifications-4.lua answered ${JSON.stringify(reply).slice(0, 80)}`);
    const claimed: ClaimedNotification[] = [];
    for (let i = 1; i < reply.length; i += 3) {
      const json = String(reply[i + 2]);
      let milestone: Milestone | undefined;
      try {
        milestone = json === "" ? undefined : (JSON.parse(json) as Milestone);
      } catch {
        milestone = undefined;
      }
      claimed.push({ target, threshold: String(reply[i]), attempt: Number(reply[i + 1]), milestone });
    }
    return { leader: true, pending: Number(reply[0]), claimed };
  }

  /** Records how an attempt ended; true when it changed the state (a stale claim's failure changes nothing). */
  async settle(campaign: string, owner: string, claim: ClaimedNotification, outcome: SettleOutcome, nowMs: number): Promise<boolean> {
    const keys = campaignKeys(campaign, this.shards);
    const failed = outcome.kind === "failed";
    const retryAtMs = failed ? outcome.retryAtMs : 0;
    const reply = await runScript<number>(
      this.redis,
      "settleNotification",
      [keys.outbox(claim.target), keys.notifications],
      [
        claim.target,
        claim.threshold,
        outcome.kind,
        owner,
        claim.attempt,
        new Date(nowMs).toISOString(),
        retryAtMs,
        failed ? new Date(retryAtMs).toISOString() : "",
        failed ? outcome.error.slice(0, maxErrorLength) : "",
      ],
    );
    return reply === 1;
  }

  /** Every notification's state, by threshold then target. */
  async readStates(campaign: string): Promise<Map<string, Partial<Record<NotificationTarget, NotificationState>>>> {
    const hash = await this.redis.hgetall(campaignKeys(campaign, this.shards).notifications);
    return groupStates(hash);
  }
}

/** Groups a notifications hash by threshold; fields or values in another format are skipped. */
export function groupStates(hash: Readonly<Record<string, string>>): Map<string, Partial<Record<NotificationTarget, NotificationState>>> {
  const out = new Map<string, Partial<Record<NotificationTarget, NotificationState>>>();
  for (const [field, json] of Object.entries(hash)) {
    const parsed = parseNotificationField(field);
    const state = decodeNotificationState(json);
    if (!parsed || !state) continue;
    const entry = out.get(parsed.threshold) ?? {};
    entry[parsed.target as NotificationTarget] = state;
    out.set(parsed.threshold, entry);
  }
  return out;
}
