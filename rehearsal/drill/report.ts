// The drill's report: a Markdown table of every fault's verdict, the finance check, and an SVG of the total as viewers
// saw it over time with the faults marked and the gaps left visible.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FaultVerdict } from "./analysis.js";
import type { DrillViewer } from "./viewers.js";

export interface FinanceCheck {
  /** Every event acknowledged: the drill's senders' and the fleet's demo traffic's. */
  readonly acknowledgedEvents: number;
  /** Of them, the fleet's demo traffic's (0 when the drill started its own fleet, which has none). */
  readonly demoEvents: number;
  readonly acknowledgedNet: bigint;
  readonly finalTotal: bigint | undefined;
  readonly exact: boolean;
  readonly reconcileExitCode: number | null;
  readonly reconcileSummary: string;
}

export interface DrillReport {
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly quick: boolean;
  readonly viewers: { readonly ws: number; readonly sse: number; readonly poll: number };
  readonly ratePerSecond: number;
  readonly senderStats: { requests: number; retries: number; acknowledged: number };
  readonly faults: readonly FaultVerdict[];
  readonly finance: FinanceCheck;
  readonly passed: boolean;
}

const seconds = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const won = (n: bigint | undefined) => (n === undefined ? "—" : `₩${n.toLocaleString("en-US")}`);

export function markdown(report: DrillReport, svgName: string): string {
  const t0 = report.startedAtMs;
  const at = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)} s`;
  const rows = report.faults.map((f) => {
    // One entry per alert name: when the first instance fired, when the last resolved, how many instances (targets).
    const names = [...new Set(f.alerts.map((a) => a.alertname))];
    const alerts = names.length
      ? names
          .map((name) => {
            const of = f.alerts.filter((a) => a.alertname === name);
            const fired = Math.min(...of.map((a) => a.firedAtMs));
            const open = of.some((a) => a.resolvedAtMs === undefined);
            const resolved = open ? "still firing" : at(Math.max(...of.map((a) => a.resolvedAtMs ?? 0)));
            return `${name}${of.length > 1 ? ` ×${of.length}` : ""} ${at(fired)}→${resolved}`;
          })
          .join("; ")
      : "none";
    const missing = f.missingAlerts.length ? ` (expected, not fired: ${f.missingAlerts.join(", ")})` : "";
    const reconnects = f.reconnects ? `${f.reconnects} (p50 ${seconds(f.reconnectP50Ms)}, max ${seconds(f.reconnectMaxMs)})` : "0";
    return `| ${f.name} | ${at(f.startMs)} | ${seconds(f.longestFreezeMs)} (≤ ${seconds(f.maxFreezeMs)}) | ${reconnects}${f.neverReconnected ? `, ${f.neverReconnected} never back` : ""} | ${f.totalWentDown} | ${f.olderEpochAccepted} | ${f.lowerSeqDropped} | ${alerts}${missing} | ${f.survived ? "survived" : "**FAILED**"} |`;
  });
  const fin = report.finance;
  return [
    `# Failure drill (${report.quick ? "quick" : "full"})`,
    "",
    `${new Date(report.startedAtMs).toISOString()} – ${new Date(report.endedAtMs).toISOString()}. ` +
      `Viewers through HAProxy: ${report.viewers.ws} WebSocket, ${report.viewers.sse} SSE, ${report.viewers.poll} polling. ` +
      `Payments: ${report.ratePerSecond}/s through HAProxy, every request retried until acknowledged ` +
      `(${report.senderStats.requests} requests, ${report.senderStats.retries} retries, ${report.senderStats.acknowledged} events acknowledged).`,
    "",
    `**Verdict: ${report.passed ? "every fault survived within its bound, and the total is exact" : "FAILED"}.**`,
    "",
    "| fault | at | longest freeze (bound) | reconnects (time to reconnect) | total went down | older epoch accepted | lower seq delivered (dropped) | alerts fired → resolved | verdict |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Longest freeze: the longest any viewer went without a fresh number (a snapshot superseding the one it had) during the fault and its recovery. " +
      "Total went down: a viewer saw the total fall by more than the refunds counted meanwhile (never allowed). " +
      "Lower seq delivered: a snapshot older than one the viewer had (a poll answered by a broadcaster a publish behind, " +
      "a reconnect to one); the viewers drop it by the page's seq rule, so none is ever accepted.",
    "",
    "## What finance will see",
    "",
    `- Acknowledged by ingest: ${fin.acknowledgedEvents} events${fin.demoEvents ? ` (${fin.demoEvents} of them the fleet's demo traffic, paused for this check)` : ""}, net ${won(fin.acknowledgedNet)}.`,
    `- Final total on GET /v1/total: ${won(fin.finalTotal)} — ${fin.exact ? "exact" : `differs by ${won((fin.finalTotal ?? 0n) - fin.acknowledgedNet)}`}.`,
    `- \`npm run reconcile\` against the acknowledged export: exit code ${fin.reconcileExitCode} (${fin.reconcileExitCode === 0 ? "exact match" : "difference"}).`,
    "",
    "```",
    fin.reconcileSummary.trim(),
    "```",
    "",
    "## Notes per fault",
    "",
    ...report.faults.map((f) => `- **${f.name}**: ${f.description}. ${f.notes.join("; ")}`),
    "",
    `![The total as viewers saw it](${svgName})`,
    "",
  ].join("\n");
}

/** The total over time as viewer 0 of each transport saw it; a break where no fresh number came for over 1.5 s. */
export function svg(report: DrillReport, viewers: readonly DrillViewer[]): string {
  const width = 1200;
  const height = 420;
  const pad = { left: 110, right: 20, top: 30, bottom: 40 };
  const t0 = report.startedAtMs;
  const t1 = report.endedAtMs;
  const picks = (["ws", "sse", "poll"] as const).map((t) => viewers.find((v) => v.transport === t)).filter((v) => v !== undefined);
  const all = picks.flatMap((v) => v.seen);
  let maxTotal = 1n;
  for (const s of all) if (s.total > maxTotal) maxTotal = s.total;
  const x = (ms: number) => pad.left + ((ms - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (total: bigint) => height - pad.bottom - (Number(total) / Number(maxTotal)) * (height - pad.top - pad.bottom);
  const colours: Record<string, string> = { ws: "#1f6feb", sse: "#2da44e", poll: "#bf8700" };
  const bands = report.faults.map(
    (f, i) =>
      `<rect x="${x(f.startMs).toFixed(1)}" y="${pad.top}" width="${Math.max(2, x(f.endMs) - x(f.startMs)).toFixed(1)}" height="${height - pad.top - pad.bottom}" fill="${f.survived ? (i % 2 ? "#d0d7de" : "#e6eaee") : "#ffb3b3"}" opacity="0.7"/>` +
      `<text x="${(x(f.startMs) + 3).toFixed(1)}" y="${pad.top + 12 + (i % 2) * 14}" font-size="11" fill="#333">${f.name}</text>`,
  );
  const lines = picks.map((v) => {
    const segments: string[] = [];
    let current: string[] = [];
    let last: number | undefined;
    for (const s of v.seen) {
      if (last !== undefined && s.atMs - last > 1500 && current.length) {
        segments.push(current.join(" "));
        current = [];
      }
      current.push(`${x(s.atMs).toFixed(1)},${y(s.total).toFixed(1)}`);
      last = s.atMs;
    }
    if (current.length) segments.push(current.join(" "));
    return segments
      .map((points) => `<polyline fill="none" stroke="${colours[v.transport]}" stroke-width="1.5" points="${points}"/>`)
      .join("");
  });
  const legend = picks.map(
    (v, i) =>
      `<rect x="${pad.left + 10 + i * 150}" y="${height - 22}" width="12" height="3" fill="${colours[v.transport]}"/><text x="${pad.left + 26 + i * 150}" y="${height - 17}" font-size="12">viewer over ${v.transport}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${pad.left}" y="18" font-size="14">Total as viewers saw it during the drill (faults shaded; breaks = no fresh number for over 1.5 s)</text>`,
    ...bands,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#555"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#555"/>`,
    `<text x="${pad.left - 6}" y="${pad.top + 4}" font-size="11" text-anchor="end">${won(maxTotal)}</text>`,
    `<text x="${pad.left - 6}" y="${height - pad.bottom}" font-size="11" text-anchor="end">₩0</text>`,
    `<text x="${width - pad.right}" y="${height - pad.bottom + 14}" font-size="11" text-anchor="end">+${((t1 - t0) / 1000).toFixed(0)} s</text>`,
    ...lines,
    ...legend,
    "</svg>",
  ].join("\n");
}

export function writeReport(dir: string, report: DrillReport, viewers: readonly DrillViewer[]): { markdownPath: string; svgPath: string } {
  const svgPath = join(dir, "drill-total.svg");
  const markdownPath = join(dir, "drill-report.md");
  writeFileSync(svgPath, svg(report, viewers));
  writeFileSync(markdownPath, markdown(report, "drill-total.svg"));
  const json = JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  writeFileSync(join(dir, "drill-report.json"), json);
  return { markdownPath, svgPath };
}
