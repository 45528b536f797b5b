// The drill's payment senders: payments (and a few refunds of them) through HAProxy at a steady rate, each request
// retried until acknowledged, so the final total must equal exactly what was acknowledged.
import { randomUUID } from "node:crypto";
import { sleep } from "../../core/timeout.js";

export interface SentEvent {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: "KRW";
  readonly occurredAt: string;
  readonly type: "payment" | "refund";
  readonly channel: string;
}

export interface SenderStats {
  readonly requests: number;
  readonly retries: number;
  readonly acknowledged: number;
  readonly pending: number;
}

const tickMs = 100;

/** Net of events: payments minus refunds. */
export function netOf(events: Iterable<{ readonly amount: number; readonly type: string }>): bigint {
  let net = 0n;
  for (const e of events) net += e.type === "refund" ? -BigInt(e.amount) : BigInt(e.amount);
  return net;
}
const channels = ["app", "web", "kakao"];

export class PaymentSenders {
  /** paymentId -> the event, once a request carrying it was acknowledged (200, every event counted or a duplicate). */
  readonly acknowledged = new Map<string, SentEvent>();
  private readonly paid: SentEvent[] = [];
  private multiplier = 1;
  private timer: NodeJS.Timeout | undefined;
  private carry = 0;
  private inFlight = new Set<Promise<void>>();
  private requests = 0;
  private retries = 0;
  private stopped = false;
  /** The last failed attempt, for the report (what a retry was answering). */
  lastFailure: string | undefined;

  constructor(
    private readonly url: string,
    readonly ratePerSecond: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** A burst: `factor` times the normal rate until reset with 1. */
  setMultiplier(factor: number): void {
    this.multiplier = factor;
  }

  stats(): SenderStats {
    return { requests: this.requests, retries: this.retries, acknowledged: this.acknowledged.size, pending: this.inFlight.size };
  }

  /** The acknowledged net total: payments minus refunds. */
  acknowledgedNet(): bigint {
    return netOf(this.acknowledged.values());
  }

  /** Stops sending new payments and waits until every request sent so far is acknowledged (they keep retrying). */
  async drain(timeoutMs = 60000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await Promise.race([...this.inFlight, sleep(200)]);
    this.stopped = true;
  }

  private tick(): void {
    this.carry += (this.ratePerSecond * this.multiplier * tickMs) / 1000;
    const n = Math.floor(this.carry);
    this.carry -= n;
    if (n === 0) return;
    const events: SentEvent[] = [];
    for (let i = 0; i < n; i++) {
      const refundOf = Math.random() < 0.02 ? this.paid[Math.floor(Math.random() * this.paid.length)] : undefined;
      events.push({
        paymentId: `drill-${randomUUID()}`,
        amount: refundOf ? Math.max(100, Math.round(refundOf.amount / 2)) : 1000 + Math.floor(Math.random() * 200) * 500,
        currency: "KRW",
        occurredAt: new Date().toISOString(),
        type: refundOf ? "refund" : "payment",
        channel: channels[i % channels.length]!,
      });
    }
    const send = this.sendUntilAcknowledged(events).finally(() => this.inFlight.delete(send));
    this.inFlight.add(send);
  }

  private async sendUntilAcknowledged(events: SentEvent[]): Promise<void> {
    const body = JSON.stringify({ events });
    for (let attempt = 0; !this.stopped; attempt++) {
      if (attempt > 0) {
        this.retries++;
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
      }
      this.requests++;
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(3000),
        });
        if (res.status !== 200) {
          this.lastFailure = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
          continue;
        }
        const answer = (await res.json()) as { accepted: number; duplicates: number; rejected: unknown[] };
        if (answer.accepted + answer.duplicates !== events.length)
          throw new Error(`not every event was counted: ${JSON.stringify(answer)}`);
        for (const e of events) {
          this.acknowledged.set(e.paymentId, e);
          if (e.type === "payment") this.paid.push(e);
        }
        return;
      } catch (err) {
        if (err instanceof Error && err.message.startsWith("not every event")) throw err;
        this.lastFailure = String(err);
        // Network error, timeout, 5xx: resend the same events (their paymentIds make it safe).
      }
    }
  }
}
