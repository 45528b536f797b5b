// Formats a reconciliation for people (finance runs this after the sale): totals side by side and the differing ids.
import type { Reconciliation } from "./compare.js";

const listed = 20;

function ids(title: string, list: readonly string[]): string[] {
  if (list.length === 0) return [];
  const more = list.length > listed ? ` … and ${list.length - listed} more` : "";
  return [`${title} (${list.length}): ${list.slice(0, listed).join(", ")}${more}`];
}

export function formatSummary(campaign: string, r: Reconciliation, exportNote: string): string {
  const row = (name: string, expected: bigint, counted: bigint) =>
    `  ${name.padEnd(10)} ${expected.toString().padStart(20)} ${counted.toString().padStart(20)}  ${expected === counted ? "ok" : `DIFF ${counted - expected}`}`;
  return [
    `Reconciliation of campaign "${campaign}" — ${exportNote}`,
    `  ${"".padEnd(10)} ${"export".padStart(20)} ${"counters".padStart(20)}`,
    row("total", r.expected.net, r.counters.net),
    row("payments", r.expected.count, r.counters.count),
    row("refunded", r.expected.refunded, r.counters.refunded),
    row("refunds", r.expected.refunds, r.counters.refunds),
    ...ids("missing from the counters", r.missing),
    ...ids("counted but not in the export", r.extra),
    ...ids(
      "counted with another amount",
      r.different.map((d) => `${d.paymentId} (export ${d.expected}, counted ${d.counted})`),
    ),
    r.matches ? "RESULT: counters match the export exactly" : "RESULT: counters DIFFER from the export",
  ].join("\n");
}
