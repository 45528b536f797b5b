// The published mark: the highest figures viewers were shown in an epoch. Counters must reach it before new figures go out.
import type { Snapshot } from "./snapshot.js";

/**
 * Each field only grows while nothing is lost: gross (payments, total + refunded), payments, refunded, refunds. The
 * net total alone may fall (refunds), so it is not one of them; a fall of the total by anything but refunds shows as
 * a fall of gross.
 */
export interface PublishedMark {
  readonly gross: bigint;
  readonly count: bigint;
  readonly refunded: bigint;
  readonly refunds: bigint;
}

const fieldNames: Readonly<Record<keyof PublishedMark, string>> = {
  gross: "payments (total + refunded)",
  count: "count",
  refunded: "refunded",
  refunds: "refunds",
};

/** The mark a snapshot sets: its own figures. */
export function markOfSnapshot(s: Pick<Snapshot, "total" | "count" | "refunded" | "refunds">): PublishedMark {
  const refunded = BigInt(s.refunded ?? "0");
  return { gross: BigInt(s.total) + refunded, count: BigInt(s.count), refunded, refunds: BigInt(s.refunds ?? 0) };
}

/** The mark of folded counter totals. */
export function markOfTotals(t: { net: bigint; count: bigint; refunded: bigint; refunds: bigint }): PublishedMark {
  return { gross: t.net + t.refunded, count: t.count, refunded: t.refunded, refunds: t.refunds };
}

/** Why `values` are below `mark` ("count 90 < 100 published"), or undefined when they reach it. */
export function shortfallOf(values: PublishedMark, mark: PublishedMark): string | undefined {
  const below = (Object.keys(fieldNames) as Array<keyof PublishedMark>).filter((field) => values[field] < mark[field]);
  if (below.length === 0) return undefined;
  return below.map((field) => `${fieldNames[field]} ${values[field]} < ${mark[field]} published`).join(", ");
}
