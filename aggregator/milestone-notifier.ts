// Delivers the milestone outbox: whoever holds the lease claims due notifications, sends each to its target and
// settles it; a notification leaves the outbox only after a success, failures are retried with exponential backoff
// (across restarts and failovers, since the outbox and its schedule live in Redis). At-least-once: a milestone is sent
// again only when a deliverer died (or lost Redis) between sending it and recording the success.
import type { Logger } from "../core/logger.js";
import type { NotificationTarget } from "../core/milestone.js";
import type { ClaimedNotification, Store } from "../core/store/index.js";
import { waitAtMost } from "../core/timeout.js";
import type { AggregatorMetrics } from "./metrics.js";
import { type MilestoneSender, milestonePayload } from "./milestone-payload.js";

export interface MilestoneNotifierOptions {
  readonly store: Store;
  readonly campaign: string;
  readonly leaseToken: string;
  readonly isLeader: () => boolean;
  readonly senders: readonly MilestoneSender[];
  readonly logger: Logger;
  readonly metrics: AggregatorMetrics;
  /** A delivery attempt is abandoned (and counted failed) after this long. */
  readonly timeoutMs: number;
  /** Backoff after the first failed attempt; doubles per attempt up to retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How often the outbox is looked at (default 250 ms). */
  readonly pollMs?: number;
}

/** Notifications claimed per target per poll. */
const claimBatch = 20;

/** Exponential backoff with jitter (between half and all of the step), so many deliverers do not retry in lockstep. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(step / 2 + (random() * step) / 2);
}

export class MilestoneNotifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Delivered, but the success could not be recorded yet: recorded before anything else, never sent again by us. */
  private readonly unsettled = new Map<string, ClaimedNotification>();
  private failing = false;

  constructor(private readonly options: MilestoneNotifierOptions) {}

  /** How long a claim keeps a notification from other deliverers: the attempt, its settle, and a margin. */
  get claimMs(): number {
    return 2 * this.options.timeoutMs + 1000;
  }

  start(): void {
    if (this.options.senders.length === 0) return;
    this.timer ??= setInterval(() => void this.tick(), this.options.pollMs ?? 250);
  }

  /** Stops polling; an attempt in flight finishes or times out (bounded), its claim expires if it cannot settle. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.running) await waitAtMost(this.running, this.options.timeoutMs + 1000);
    for (const sender of this.options.senders) sender.close();
  }

  tick(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const { senders, metrics } = this.options;
    if (!this.options.isLeader()) {
      for (const s of senders) metrics.notificationsPending.set({ target: s.target }, 0);
      return;
    }
    try {
      await this.settleDelivered();
      await Promise.all(senders.map((sender) => this.runTarget(sender)));
      if (this.failing) this.options.logger.info("milestone outbox reachable again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.options.logger.warn({ err }, "milestone outbox unavailable; retrying");
      this.failing = true;
    }
  }

  private async runTarget(sender: MilestoneSender): Promise<void> {
    const { store, campaign, leaseToken, metrics } = this.options;
    const nowMs = Date.now();
    const claim = await store.notifications.claim(campaign, leaseToken, sender.target, nowMs, nowMs + this.claimMs, claimBatch);
    if (!claim.leader) return;
    metrics.notificationsPending.set({ target: sender.target }, claim.pending);
    await Promise.all(claim.claimed.map((c) => this.deliver(sender, c)));
  }

  private async deliver(sender: MilestoneSender, claim: ClaimedNotification): Promise<void> {
    const { campaign, logger, metrics, timeoutMs } = this.options;
    const key = keyOf(claim.target, claim.threshold);
    if (this.unsettled.has(key)) return this.settle(claim); // delivered already: record it, do not send again
    const log = { target: claim.target, threshold: claim.threshold, attempt: claim.attempt };
    try {
      if (claim.milestone === undefined) throw new Error("the milestone record is missing");
      await sender.deliver(milestonePayload(campaign, claim.milestone), AbortSignal.timeout(timeoutMs));
    } catch (err) {
      metrics.notificationFailures.inc({ target: claim.target });
      const error = err instanceof Error ? err.message : String(err);
      const delayMs = retryDelayMs(claim.attempt, this.options.retryBaseMs, this.options.retryMaxMs);
      logger.warn({ ...log, error, retryInMs: delayMs }, "milestone delivery failed; will retry");
      const outcome = { kind: "failed", error, retryAtMs: Date.now() + delayMs } as const;
      // If this fails too, the claim expires and the attempt is simply made again: it was not delivered.
      await this.options.store.notifications.settle(campaign, this.options.leaseToken, claim, outcome, Date.now()).catch(() => false);
      return;
    }
    metrics.notificationsDelivered.inc({ target: claim.target });
    logger.info(log, "milestone delivered");
    this.unsettled.set(key, claim);
    await this.settle(claim);
  }

  private async settle(claim: ClaimedNotification): Promise<void> {
    const { store, campaign, leaseToken } = this.options;
    try {
      await store.notifications.settle(campaign, leaseToken, claim, { kind: "delivered" }, Date.now());
      this.unsettled.delete(keyOf(claim.target, claim.threshold));
    } catch (err) {
      this.options.logger.warn({ err, threshold: claim.threshold }, "recording a delivery failed; retrying");
    }
  }

  private async settleDelivered(): Promise<void> {
    for (const claim of [...this.unsettled.values()]) await this.settle(claim);
  }
}

const keyOf = (target: NotificationTarget, threshold: string) => `${target}:${threshold}`;
