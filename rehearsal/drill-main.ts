// `npm run drill [-- --quick] [--out DIR]`: starts the fleet (as `npm run fleet` does, without demo traffic), runs the
// failure drill on it and writes the report; exit code 0 only when every fault was survived and the total is exact.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { freePort } from "../core/free-port.js";
import { runDrill } from "./drill/run.js";
import { buildProduction, startFleet } from "./fleet.js";

const opts = new Command("drill")
  .description(
    "failure drill on the local fleet: Redis master kill, aggregator kill, broadcaster kill and rolling restart, Redis paused, payment burst",
  )
  .option("--quick", "the short drill (fewer viewers, shorter bursts): what npm test runs", false)
  .option("--out <dir>", "report folder (default: a new folder under bench/results/drill-<time>)")
  .option("--keep", "leave the fleet running after the drill (Ctrl-C stops it)", false)
  .parse()
  .opts<{ quick: boolean; out?: string; keep: boolean }>();

const outDir = resolve(opts.out ?? join("bench", "results", `drill-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}`));
mkdirSync(outDir, { recursive: true });
const fleetPort = process.env.FLEET_PORT ? Number(process.env.FLEET_PORT) : await freePort();

process.stdout.write("building the production bundles...\n");
await buildProduction();
const runDir = mkdtempSync(join(tmpdir(), "sales-drill-"));
process.stdout.write(`starting the fleet on 127.0.0.1:${fleetPort} (logs in ${runDir})...\n`);
const fleet = await startFleet({ fleetPort, runDir, componentEnv: { LOG_LEVEL: "info" } });
let code = 1;
try {
  process.stdout.write(`${await fleet.table()}\n\n`);
  const { report, markdownPath, svgPath } = await runDrill(fleet, { quick: opts.quick, outDir });
  for (const f of report.faults)
    process.stdout.write(
      `${f.survived ? "ok  " : "FAIL"} ${f.name.padEnd(28)} longest freeze ${(f.longestFreezeMs / 1000).toFixed(1)} s (bound ${(f.maxFreezeMs / 1000).toFixed(1)} s), ` +
        `${f.reconnects} reconnects, alerts: ${[...new Set(f.alerts.map((a) => a.alertname))].join(", ") || "none"}\n`,
    );
  process.stdout.write(
    `finance: acknowledged ${report.finance.acknowledgedNet}, final ${report.finance.finalTotal ?? "none"} (${report.finance.exact ? "exact" : "DIFFERS"}); reconcile exit ${report.finance.reconcileExitCode}\n`,
  );
  process.stdout.write(`\nreport: ${markdownPath}\npicture: ${svgPath}\n`);
  code = report.passed ? 0 : 1;
} finally {
  if (!opts.keep) await fleet.stop();
}
if (opts.keep) {
  process.stdout.write(`the fleet keeps running at ${fleet.url}; Ctrl-C stops it\n`);
  process.on("SIGINT", () => void fleet.stop().then(() => process.exit(code)));
} else process.exit(code);
