// Runs a failure drill on a fleet: viewers and senders through HAProxy, the faults one after another with recovery in
// between, then the verdicts, the finance check (final total vs what was acknowledged; reconcile) and the report.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { sleep } from "../../core/timeout.js";
import { repoRoot } from "../fleet.js";
import { firedAlerts } from "./alerts.js";
import { type FaultVerdict, type FaultWindow, judge } from "./analysis.js";
import type { DrillFleet } from "./drill-fleet.js";
import { faults as allFaults, type Fault } from "./faults.js";
import { type DrillReport, type FinanceCheck, writeReport } from "./report.js";
import { netOf, PaymentSenders } from "./senders.js";
import { type DrillViewer, startViewers, type ViewerMix } from "./viewers.js";

const exec = promisify(execFile);

export interface DrillOptions {
  readonly quick: boolean;
  readonly outDir: string;
  readonly faults?: readonly Fault[];
  readonly log?: (line: string) => void;
}

/** Every viewer has had a fresh number within the last second and no open outage. */
function allFresh(viewers: readonly DrillViewer[], sinceMs: number): boolean {
  return viewers.every((v) => {
    const outage = v.outages.at(-1);
    return (v.seen.at(-1)?.atMs ?? 0) > sinceMs && (outage === undefined || outage.backAtMs !== undefined);
  });
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

async function totalOf(fleet: DrillFleet): Promise<bigint | undefined> {
  const res = await fetch(`${fleet.url}/v1/total`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  return BigInt(((await res.json()) as { total: string }).total);
}

/**
 * The final total against everything acknowledged: the drill's senders and, attached to `npm run fleet`, the fleet's
 * demo traffic (paused meanwhile, so the total stands still), then reconcile against both as the export.
 */
async function financeCheck(fleet: DrillFleet, senders: PaymentSenders, outDir: string): Promise<FinanceCheck> {
  const demoEvents = fleet.demo ? await fleet.demo.pause() : [];
  try {
    const expected = senders.acknowledgedNet() + netOf(demoEvents);
    await waitUntil(async () => (await totalOf(fleet)) === expected, 20000);
    const finalTotal = await totalOf(fleet);
    const exportFile = join(outDir, "acknowledged-payments.jsonl");
    const exported = [...senders.acknowledged.values(), ...demoEvents];
    writeFileSync(exportFile, `${exported.map((e) => JSON.stringify(e)).join("\n")}\n`);
    let reconcileExitCode: number | null = 0;
    let reconcileSummary = "";
    try {
      const env = { REDIS_CLUSTER_NODES: fleet.redis.seeds, CAMPAIGN: fleet.campaign, SHARDS: String(fleet.shards), LOG_LEVEL: "warn" };
      const out = await exec(process.execPath, [join(repoRoot, "dist", "reconcile.js"), "--file", exportFile, "--no-progress"], {
        env: { ...process.env, ...env },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      });
      reconcileSummary = out.stdout;
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      reconcileExitCode = typeof e.code === "number" ? e.code : null;
      reconcileSummary = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    }
    return {
      acknowledgedEvents: exported.length,
      demoEvents: demoEvents.length,
      acknowledgedNet: expected,
      finalTotal,
      exact: finalTotal === expected,
      reconcileExitCode,
      reconcileSummary,
    };
  } finally {
    await fleet.demo?.resume();
  }
}

export async function runDrill(
  fleet: DrillFleet,
  options: DrillOptions,
): Promise<{ report: DrillReport; markdownPath: string; svgPath: string }> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { quick } = options;
  const mix: ViewerMix = quick ? { ws: 40, sse: 12, poll: 8 } : { ws: 200, sse: 60, poll: 40 };
  const ratePerSecond = quick ? 100 : 200;
  const startedAtMs = Date.now();
  const viewers = startViewers(fleet.url, mix);
  const senders = new PaymentSenders(`${fleet.url}/v1/payments`, ratePerSecond);
  senders.start();
  log(
    `${viewers.length} viewers (${mix.ws} WebSocket, ${mix.sse} SSE, ${mix.poll} polling) and ${ratePerSecond} payments/s through ${fleet.url}`,
  );
  if (!(await waitUntil(() => viewers.every((v) => v.seen.length > 0), 20000))) throw new Error("not every viewer got a first number");
  await sleep(3000);

  const windows: FaultWindow[] = [];
  for (const fault of options.faults ?? allFaults) {
    const notes: string[] = [];
    const startMs = Date.now();
    log(`fault: ${fault.name} — ${fault.description}`);
    await fault.run({ fleet, senders, quick, note: (text) => notes.push(`+${((Date.now() - startMs) / 1000).toFixed(1)} s ${text}`) });
    const undoneMs = Date.now();
    const recovered = await waitUntil(() => allFresh(viewers, undoneMs + 500), 30000);
    notes.push(
      recovered ? `every viewer fresh again +${((Date.now() - startMs) / 1000).toFixed(1)} s` : "viewers not all fresh after 30 s",
    );
    await sleep(quick ? 2000 : 3000);
    windows.push({
      name: fault.name,
      description: fault.description,
      startMs,
      endMs: Date.now(),
      maxFreezeMs: fault.maxFreezeMs(quick),
      expectedAlerts: fault.expectedAlerts,
      notes,
    });
    log(`  ${notes.join("; ")}`);
  }

  await senders.drain();
  const finance = await financeCheck(fleet, senders, options.outDir);
  for (const v of viewers) v.stop();
  const endedAtMs = Date.now();
  // Prometheus evaluates every second; give the last resolutions a moment to be recorded.
  await sleep(2500);
  const alerts = await firedAlerts(fleet.prometheusUrl, startedAtMs, Date.now());
  const verdicts: FaultVerdict[] = windows.map((w) => judge(w, viewers, alerts));
  const passed = verdicts.every((v) => v.survived) && finance.exact && finance.reconcileExitCode === 0;
  const { requests, retries, acknowledged } = senders.stats();
  const report: DrillReport = {
    startedAtMs,
    endedAtMs,
    quick,
    viewers: mix,
    ratePerSecond,
    senderStats: { requests, retries, acknowledged },
    faults: verdicts,
    finance,
    passed,
  };
  return { report, ...writeReport(options.outDir, report, viewers) };
}
