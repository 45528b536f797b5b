// Whether a fold has something new to publish: a string that changes whenever any counter changes.
import type { CounterTotals, DimensionSum } from "../core/store/index.js";

function dimensionsFingerprint(map: ReadonlyMap<string, DimensionSum>): string {
  return [...map.entries()]
    .map(([name, sum]) => `${name}=${sum.amount}/${sum.count}`)
    .sort()
    .join(",");
}

export function totalsFingerprint(t: CounterTotals): string {
  return [
    t.net,
    t.gross,
    t.count,
    t.refunded,
    t.refunds,
    t.dups,
    t.rejected,
    dimensionsFingerprint(t.channels),
    dimensionsFingerprint(t.categories),
  ].join("|");
}
