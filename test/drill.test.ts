// The rehearsal as an engineer runs it, the commands themselves: `npm run fleet` (the production build: Redis Cluster
// with replicas, 2 ingest, 2 aggregators, 3 broadcasters behind HAProxy, Prometheus with ops/ rules, demo traffic),
// then `npm run drill -- --quick --attach --out DIR` on it while the demo traffic flows: its exit code, the report it
// names, the verdicts, the exact total (demo payments included), the alerts that must fire; then Ctrl-C on the fleet
// leaves nothing running.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../core/free-port.js";
import type { DrillReport } from "../rehearsal/drill/report.js";
import { eventually } from "./support/pipeline.js";

const root = join(import.meta.dirname, "..");
const outDir = mkdtempSync(join(tmpdir(), "sc-drill-report-"));
const fleetDir = mkdtempSync(join(tmpdir(), "sc-drill-fleet-"));
let fleetProcess: ChildProcess | undefined;
let fleetUrl = "";
let result: { report: DrillReport; markdownPath: string; svgPath: string };
let exitCode: number | null;
let output = "";
let fleetOutput = "";

/** True while any process of the group is alive (signal 0 checks without sending anything). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(script: string, args: string[], env: Record<string, string>, onOutput: (text: string) => void): ChildProcess {
  // Its own process group, as a terminal runs it: the fleet's processes stay in it (the fleet contract).
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (d) => onOutput(String(d)));
  return child;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

const countNow = async () => ((await (await fetch(`${fleetUrl}/v1/total?view=counter`)).json()) as { count: number }).count;

beforeAll(async () => {
  const [fleetPort, controlPort] = [await freePort(), await freePort()];
  fleetUrl = `http://127.0.0.1:${fleetPort}`;
  const fleetEnv = {
    FLEET_PORT: String(fleetPort),
    FLEET_CONTROL_PORT: String(controlPort),
    FLEET_DIR: fleetDir,
    DEMO_RATE: "20",
    LOG_LEVEL: "warn",
  };
  fleetProcess = run("rehearsal/fleet-main.ts", [], fleetEnv, (text) => (fleetOutput += text));
  await eventually(async () => (fleetOutput.includes("Ctrl-C stops everything") ? true : undefined), 120_000, `the fleet:\n${fleetOutput}`);
  const drill = run("rehearsal/drill-main.ts", ["--quick", "--attach", `http://127.0.0.1:${controlPort}`, "--out", outDir], {}, (text) => {
    output += text;
  });
  exitCode = await exited(drill);
  const printed = (label: string) => new RegExp(`^${label}: (.+)$`, "m").exec(output)?.[1] ?? "";
  result = {
    report: JSON.parse(readFileSync(join(outDir, "drill-report.json"), "utf8")) as DrillReport,
    markdownPath: printed("report"),
    svgPath: printed("picture"),
  };
}, 360_000);

afterAll(async () => {
  // Whatever of the fleet a failed run left behind.
  if (fleetProcess?.pid !== undefined && groupAlive(fleetProcess.pid)) process.kill(-fleetProcess.pid, "SIGKILL");
  rmSync(outDir, { recursive: true, force: true });
  rmSync(fleetDir, { recursive: true, force: true });
});

describe("npm run drill -- --quick", () => {
  it("exits 0 and names the report and the picture it wrote", () => {
    expect(exitCode, `${output.slice(-3000)}\n--- fleet:\n${fleetOutput.slice(-2000)}`).toBe(0);
    expect(output).toContain("its demo traffic flowing");
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
    const kill = report.faults.find((f) => f.name === "broadcaster-kill");
    expect(kill?.reconnects, `${output}\n${readFileSync(result.markdownPath, "utf8")}`).toBeGreaterThan(0);
    expect(report.passed).toBe(true);
  });

  it("ends with the total equal to every acknowledged payment, the fleet's demo traffic included, and reconcile agrees", () => {
    const { finance, senderStats } = result.report;
    expect(senderStats.acknowledged).toBeGreaterThan(1000);
    expect(finance.demoEvents).toBeGreaterThan(300); // ~20/s through every fault, each retried until acknowledged
    expect(finance.acknowledgedEvents).toBe(senderStats.acknowledged + finance.demoEvents);
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

  it("leaves the fleet running with its demo traffic resumed, and Ctrl-C on it stops every process", async () => {
    const before = await countNow();
    await eventually(async () => ((await countNow()) > before ? true : undefined), 10_000, "demo payments counted after the drill");
    process.kill(-fleetProcess!.pid!, "SIGINT");
    expect(await exited(fleetProcess!)).toBe(0);
    const deadline = Date.now() + 15_000;
    while (groupAlive(fleetProcess!.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(groupAlive(fleetProcess!.pid!), fleetOutput.slice(-2000)).toBe(false);
  }, 30_000);
});
