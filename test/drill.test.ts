// The rehearsal as `npm run drill -- --quick` runs it: the production build on the fleet (Redis Cluster with replicas,
// 2 ingest, 2 aggregators, 3 broadcasters behind HAProxy, Prometheus with ops/ rules), viewers and senders through
// HAProxy, every fault injected in turn; the report's verdicts, the exact total, and the alerts that must fire.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../core/free-port.js";
import type { DrillReport } from "../rehearsal/drill/report.js";
import { runDrill } from "../rehearsal/drill/run.js";
import { buildProduction, type Fleet, startFleet } from "../rehearsal/fleet.js";

const runDir = mkdtempSync(join(tmpdir(), "sc-drill-fleet-"));
const outDir = mkdtempSync(join(tmpdir(), "sc-drill-report-"));
let fleet: Fleet | undefined;
let result: Awaited<ReturnType<typeof runDrill>>;

beforeAll(async () => {
  await buildProduction();
  fleet = await startFleet({ fleetPort: await freePort(), runDir });
  result = await runDrill(fleet, { quick: true, outDir, log: () => undefined });
}, 300_000);

afterAll(async () => {
  const pids = fleet ? [...fleet.components.map((c) => c.process.pid), fleet.haproxy.pid, fleet.prometheus.pid] : [];
  await fleet?.stop();
  // Nothing of the fleet is left running.
  for (const pid of pids) if (pid !== undefined) expect(() => process.kill(pid, 0)).toThrow();
  rmSync(runDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
}, 60_000);

describe("npm run drill -- --quick", () => {
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
    const json = JSON.parse(readFileSync(join(outDir, "drill-report.json"), "utf8")) as DrillReport;
    expect(json.passed).toBe(true);
    const svg = readFileSync(result.svgPath, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("<polyline");
    expect(svg).toContain("redis-unreachable");
  });
});
