// Benchmark results: one shape for every benchmark, printed as a table and written as JSON and Markdown to bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MachineInfo, machineInfo } from "./machine.js";

/** One measured subject; `ratio` compares its primary metric to the row named by `baseline` in the same run. */
export interface ResultRow {
  readonly scenario: string;
  readonly subject: string;
  /** Subject of the baseline row in the same scenario; undefined when this row is itself a baseline. */
  readonly baseline: string | undefined;
  readonly metrics: Readonly<Record<string, number>>;
  ratio?: number;
}

export interface TargetCheck {
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
}

export interface BenchResult {
  readonly benchmark: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  readonly params: Readonly<Record<string, unknown>>;
  /** The metric `ratio` is computed from, and whether higher is better. */
  readonly primaryMetric: { readonly name: string; readonly higherIsBetter: boolean };
  readonly rows: ResultRow[];
  readonly targets: TargetCheck[];
  readonly notes: string[];
}

/** Fills `ratio` on every non-baseline row: primary metric of the row divided by its baseline's. */
export function computeRatios(result: BenchResult): void {
  const { name } = result.primaryMetric;
  for (const row of result.rows) {
    if (row.baseline === undefined) continue;
    const base = result.rows.find((r) => r.scenario === row.scenario && r.subject === row.baseline);
    const a = row.metrics[name];
    const b = base?.metrics[name];
    if (a !== undefined && b !== undefined && b !== 0) row.ratio = Math.round((a / b) * 100) / 100;
  }
}

export function startResult(benchmark: string, params: Record<string, unknown>, primaryMetric: BenchResult["primaryMetric"]): BenchResult {
  return {
    benchmark,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    machine: machineInfo(),
    params,
    primaryMetric,
    rows: [],
    targets: [],
    notes: [],
  };
}

const formatNumber = (v: number | undefined) =>
  v === undefined ? "" : Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : String(Math.round(v * 1000) / 1000);

function tableLines(result: BenchResult): string[] {
  const metricNames = [...new Set(result.rows.flatMap((r) => Object.keys(r.metrics)))];
  const header = ["scenario", "subject", ...metricNames, "× baseline"];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of result.rows) {
    const ratio = r.baseline === undefined ? "(baseline)" : r.ratio === undefined ? "" : `${r.ratio}× ${r.baseline}`;
    lines.push(`| ${[r.scenario, r.subject, ...metricNames.map((m) => formatNumber(r.metrics[m])), ratio].join(" | ")} |`);
  }
  return lines;
}

export function toMarkdown(result: BenchResult): string {
  const m = result.machine;
  const out = [
    `# ${result.benchmark} — ${result.startedAt}`,
    "",
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, load ${m.loadAverage1m}, Node ${m.node}, commit ${m.commit}${m.dirty ? " (dirty)" : ""}.`,
    `Parameters: \`${JSON.stringify(result.params)}\`. Ratio metric: ${result.primaryMetric.name} (${result.primaryMetric.higherIsBetter ? "higher" : "lower"} is better).`,
    "",
    ...tableLines(result),
  ];
  if (result.targets.length > 0) {
    out.push("", "Targets (reported, not asserted):", "");
    for (const t of result.targets) out.push(`- ${t.met ? "met" : "NOT met"}: ${t.target} — actual ${t.actual}`);
  }
  if (result.notes.length > 0) out.push("", "Notes:", "", ...result.notes.map((n) => `- ${n}`));
  return `${out.join("\n")}\n`;
}

/** Computes ratios, prints the table to stdout and writes <name>-<time>.json/.md plus <name>-latest.* to dir. */
export function finishResult(result: BenchResult, startedMs: number, dir: string): { jsonPath: string; markdownPath: string } {
  (result as { durationMs: number }).durationMs = Date.now() - startedMs;
  computeRatios(result);
  const markdown = toMarkdown(result);
  process.stdout.write(`\n${markdown}\n`);
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, "-");
  const jsonPath = join(dir, `${result.benchmark}-${stamp}.json`);
  const markdownPath = join(dir, `${result.benchmark}-${stamp}.md`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  for (const [path, text] of [
    [jsonPath, json],
    [markdownPath, markdown],
    [join(dir, `${result.benchmark}-latest.json`), json],
    [join(dir, `${result.benchmark}-latest.md`), markdown],
  ] as const)
    writeFileSync(path, text);
  return { jsonPath, markdownPath };
}

export const defaultResultsDir = new URL("../results/", import.meta.url).pathname;
