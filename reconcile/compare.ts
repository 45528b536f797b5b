// Compares the payments export with the counters: totals, counts, and which paymentIds are missing, extra or different.
import type { CounterTotals } from "../core/store/index.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";
import { signedAmount } from "./export-file.js";

export interface Side {
  readonly net: bigint;
  readonly count: bigint;
  readonly refunded: bigint;
  readonly refunds: bigint;
}

export interface Reconciliation {
  readonly expected: Side;
  readonly counters: Side;
  /** Sum of the dedupe marks (what the counters should hold if every mark is still there). */
  readonly marksNet: bigint;
  /** In the export, not counted. */
  readonly missing: string[];
  /** Counted, not in the export. */
  readonly extra: string[];
  /** Counted with another signed amount than the export says. */
  readonly different: Array<{ paymentId: string; expected: bigint; counted: bigint }>;
  readonly matches: boolean;
}

export function expectedTotals(events: Iterable<PaymentEvent>): Side {
  let net = 0n;
  let count = 0n;
  let refunded = 0n;
  let refunds = 0n;
  for (const e of events) {
    net += signedAmount(e);
    if (e.type === "refund") {
      refunded += BigInt(e.amount);
      refunds++;
    } else count++;
  }
  return { net, count, refunded, refunds };
}

export function reconcile(
  events: ReadonlyMap<string, PaymentEvent>,
  marks: ReadonlyMap<string, bigint>,
  totals: CounterTotals,
): Reconciliation {
  const missing: string[] = [];
  const different: Reconciliation["different"] = [];
  for (const [id, event] of events) {
    const counted = marks.get(id);
    if (counted === undefined) missing.push(id);
    else if (counted !== signedAmount(event)) different.push({ paymentId: id, expected: signedAmount(event), counted });
  }
  const extra: string[] = [];
  let marksNet = 0n;
  for (const [id, amount] of marks) {
    marksNet += amount;
    if (!events.has(id)) extra.push(id);
  }
  const expected = expectedTotals(events.values());
  const counters: Side = { net: totals.net, count: totals.count, refunded: totals.refunded, refunds: totals.refunds };
  const matches =
    missing.length === 0 &&
    extra.length === 0 &&
    different.length === 0 &&
    expected.net === counters.net &&
    expected.count === counters.count &&
    expected.refunded === counters.refunded;
  return { expected, counters, marksNet, missing, extra, different, matches };
}
