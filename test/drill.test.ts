// The rehearsal as an engineer runs it, the command itself (`npm run drill -- --quick --out DIR`: its exit code, the
// report it names, nothing left running after it): the production build on the fleet (Redis Cluster with replicas,
// 2 ingest, 2 aggregators, 3 broadcasters behind HAProxy, Prometheus with ops/ rules), viewers and senders through
// HAProxy, every fault injected in turn; the report's verdicts, the exact total, and the alerts that must fire.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../core/free-port.js";
import type { DrillReport } from "../rehearsal/drill/report.js";

const root = join(import.meta.dirname, "..");
const outDir = mkdtempSync(join(tmpdir(), "sc-drill-report-"));
let result: { report: DrillReport; markdownPath: string; svgPath: string };
let exitCode: number | null;
let output = "";

/** True while any process of the group is alive (signal 0 checks without sending anything). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // The command itself, in a process group of its own: the fleet's processes stay in it (the fleet contract), so
  // once it exits an empty group means nothing of the fleet is left running.
  const child = spawn(process.execPath, ["--import", "tsx", "rehearsal/drill-main.ts", "--quick", "--out", outDir], {
    cwd: root,
    env: { ...process.env, FLEET_PORT: String(await freePort()) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (d) => (output += String(d)));
  exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (groupAlive(child.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(groupAlive(child.pid!), `fleet processes left running after the drill:\n${output.slice(-3000)}`).toBe(false);
  const printed = (label: string) => new RegExp(`^${label}: (.+)$`, "m").exec(output)?.[1] ?? "";
  result = {
    report: JSON.parse(readFileSync(join(outDir, "drill-report.json"), "utf8")) as DrillReport,
    markdownPath: printed("report"),
    svgPath: printed("picture"),
  };
}, 300_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe("npm run drill -- --quick", () => {
  it("exits 0 and names the report and the picture it wrote", () => {
    expect(exitCode, output.slice(-3000)).toBe(0);
    expect(result.markdownPath).toBe(join(outDir, "drill-report.md"));
    expect(result.svgPath.startsWith(outDir)).toBe(true);
    expect(output).toMatch(/^ok +redis-master-kill/m);
  });

  it("survives every fault within its bound", () => {
    const { report } = result;
    expect(report.faults.map((f) => f.name)).toEqual([
      "redis-master-kill",
      "aggregator-leader-kill",
      "broadcaster-kill",
      "broadcaster-rolling-restart",
      "redis-unreachable",
      "payment-burst",
    ]);
    for (const f of report.faults) {
      expect(f.longestFreezeMs, f.name).toBeLessThanOrEqual(f.maxFreezeMs);
      expect(f.totalWentDown, f.name).toBe(0);
      expect(f.olderEpochAccepted, f.name).toBe(0);
      expect(f.neverReconnected, f.name).toBe(0);
    }
    // Viewers of the killed and restarted broadcasters came back on others, through HAProxy.
    expect(report.faults.find((f) => f.name === "broadcaster-kill")?.reconnects).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  });

  it("ends with the total equal to every acknowledged payment, and reconcile agrees", () => {
    const { finance, senderStats } = result.report;
    expect(senderStats.acknowledged).toBeGreaterThan(1000);
    expect(finance.finalTotal).toBe(finance.acknowledgedNet);
    expect(finance.exact).toBe(true);
    expect(finance.reconcileExitCode).toBe(0);
    expect(finance.reconcileSummary).toContain("RESULT: counters match the export exactly");
  });

  it("raises the alerts an operator must see, as Prometheus evaluated them, and resolves them", () => {
    const byFault = Object.fromEntries(result.report.faults.map((f) => [f.name, f]));
    for (const f of result.report.faults) expect(f.missingAlerts, f.name).toEqual([]);
    const kill = byFault["broadcaster-kill"]!.alerts.find((a) => a.alertname === "SalesBroadcasterNotReady");
    expect(kill?.resolvedAtMs).toBeDefined();
    const paused = byFault["redis-unreachable"]!.alerts.map((a) => a.alertname);
    expect(paused).toEqual(expect.arrayContaining(["SalesNumberStale", "SalesRedisUnreachable"]));
  });

  it("writes the report: Markdown with a row per fault, JSON, and the picture of the total over time", () => {
    const md = readFileSync(result.markdownPath, "utf8");
    for (const f of result.report.faults) expect(md).toContain(`| ${f.name} |`);
    expect(md).toContain("What finance will see");
    expect(md).toContain("lower seq delivered (dropped)");
    expect(result.report.passed).toBe(true);
    const svg = readFileSync(result.svgPath, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("<polyline");
    expect(svg).toContain("redis-unreachable");
  });
});
