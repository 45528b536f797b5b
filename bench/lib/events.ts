// Synthetic payment events with ids unique per run, for load generators.
import type { PaymentEvent } from "../../ingest/domain/payment-event.js";

const runId = `${process.pid}-${Date.now().toString(36)}`;
let sequence = 0;

export function paymentEvents(count: number, campaign: string): PaymentEvent[] {
  const occurredAt = new Date().toISOString();
  return Array.from({ length: count }, () => ({
    paymentId: `bench-${runId}-${++sequence}`,
    amount: 10000,
    currency: "KRW",
    occurredAt,
    type: "payment" as const,
    campaign,
    channel: "app",
    category: undefined,
  }));
}

/** The same events as wire JSON (no undefined fields), for POST /v1/payments. */
export function paymentsBody(count: number, campaign: string): string {
  return JSON.stringify({ events: paymentEvents(count, campaign).map(({ category: _c, ...e }) => e) });
}
