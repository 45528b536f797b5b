// CSV downloads for the marketers: the history (per minute, whole campaign) and the breakdowns, opened by Excel as UTF-8.

import type { MinuteBars, Point } from "./dashboard-series.js";
import type { BreakdownRow } from "./dashboard-tables.js";
import type { ZonedClock } from "./dashboard-time.js";

/** RFC 4180: quote a field holding a comma, a quote or a line break; double the quotes inside. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n");
}

export function historyCsv(minutes: readonly Point[], bars: MinuteBars, clock: ZonedClock): string {
  const perMinute = new Map<number, number | null>();
  for (const [i, x] of bars.xs.entries()) perMinute.set(x, bars.full[i] ?? bars.partial[i] ?? null);
  const header = [`시각 (${clock.zoneLabel})`, "누적 금액 (순매출)", "누적 결제 건수", "분당 금액"];
  const rows = minutes.map((p) => {
    const m = Math.floor(p[0] / 60) * 60;
    const rate = perMinute.get(m);
    return [clock.iso(m), p[1], p[2], rate === null || rate === undefined ? "" : Math.round(rate)];
  });
  return toCsv([header, ...rows]);
}

export function breakdownCsv(channels: readonly BreakdownRow[], categories: readonly BreakdownRow[]): string {
  const header = ["구분", "ID", "이름", "결제 건수", "금액 (순매출)", "비중 (%)"];
  const rows = [
    ...channels.map((r) => ["채널", r.id, r.label, r.count, r.total.toString(), r.share === undefined ? "" : r.share.toFixed(2)]),
    ...categories.map((r) => ["카테고리", r.id, r.label, r.count, r.total.toString(), r.share === undefined ? "" : r.share.toFixed(2)]),
  ];
  return toCsv([header, ...rows]);
}

/** Saves text as a file through a temporary link; the BOM makes Excel read the Korean as UTF-8. */
export function download(fileName: string, text: string): void {
  const blob = new Blob(["\uFEFF", text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
