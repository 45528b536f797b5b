// `npm run drill [-- --quick] [--out DIR] [--attach [URL]] [--keep]`: the failure drill, on a fleet of its own (built and
// started as `npm run fleet` does, without demo traffic) or, with --attach, on the `npm run fleet` already running
// (driven through its control API, its demo traffic flowing); writes the report. Exit code 0 only when every fault
// was survived and the total is exact.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { freePort } from "../core/free-port.js";
import type { DrillFleet } from "./drill/drill-fleet.js";
import { attachFleet } from "./drill/remote-fleet.js";
import { runDrill } from "./drill/run.js";
import { buildProduction, type Fleet, startFleet } from "./fleet.js";

const defaultControl = `http://127.0.0.1:${Number(process.env.FLEET_CONTROL_PORT ?? Number(process.env.FLEET_PORT ?? 8000) + 1)}`;
const opts = new Command("drill")
  .description(
    "failure drill on the local fleet: Redis master kill, aggregator kill, broadcaster kill and rolling restart, Redis paused, payment burst",
  )
  .option("--quick", "the short drill (fewer viewers, shorter bursts): what npm test runs", false)
  .option("--out <dir>", "report folder (default: a new folder under bench/results/drill-<time>)")
  .option("--attach [url]", `drill the running \`npm run fleet\` through its control API (default ${defaultControl})`)
  .option("--keep", "leave the fleet the drill started running after it (Ctrl-C stops it)", false)
  .parse()
  .opts<{ quick: boolean; out?: string; attach?: string | boolean; keep: boolean }>();

const outDir = resolve(opts.out ?? join("bench", "results", `drill-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}`));
mkdirSync(outDir, { recursive: true });

let own: Fleet | undefined;
let fleet: DrillFleet;
if (opts.attach !== undefined) {
  const control = typeof opts.attach === "string" ? opts.attach : defaultControl;
  process.stdout.write(`attaching to the fleet at ${control}...\n`);
  fleet = await attachFleet(control);
  process.stdout.write(`fleet at ${fleet.url}${fleet.demo ? ", its demo traffic flowing" : ""}\n\n`);
} else {
  const fleetPort = process.env.FLEET_PORT ? Number(process.env.FLEET_PORT) : await freePort();
  process.stdout.write("building the production bundles...\n");
  await buildProduction();
  const runDir = mkdtempSync(join(tmpdir(), "sales-drill-"));
  process.stdout.write(`starting the fleet on 127.0.0.1:${fleetPort} (logs in ${runDir})...\n`);
  own = await startFleet({ fleetPort, runDir, componentEnv: { LOG_LEVEL: "info" } });
  fleet = own;
  process.stdout.write(`${await own.table()}\n\n`);
}
let code = 1;
try {
  const { report, markdownPath, svgPath } = await runDrill(fleet, { quick: opts.quick, outDir });
  for (const f of report.faults)
    process.stdout.write(
      `${f.survived ? "ok  " : "FAIL"} ${f.name.padEnd(28)} longest freeze ${(f.longestFreezeMs / 1000).toFixed(1)} s (bound ${(f.maxFreezeMs / 1000).toFixed(1)} s), ` +
        `${f.reconnects} reconnects, alerts: ${[...new Set(f.alerts.map((a) => a.alertname))].join(", ") || "none"}\n`,
    );
  process.stdout.write(
    `finance: acknowledged ${report.finance.acknowledgedNet} (${report.finance.acknowledgedEvents} events, ${report.finance.demoEvents} of them demo traffic), ` +
      `final ${report.finance.finalTotal ?? "none"} (${report.finance.exact ? "exact" : "DIFFERS"}); reconcile exit ${report.finance.reconcileExitCode}\n`,
  );
  process.stdout.write(`\nreport: ${markdownPath}\npicture: ${svgPath}\n`);
  code = report.passed ? 0 : 1;
} finally {
  if (own && !opts.keep) await own.stop();
}
if (own && opts.keep) {
  process.stdout.write(`the fleet keeps running at ${own.url}; Ctrl-C stops it\n`);
  process.on("SIGINT", () => void own.stop().then(() => process.exit(code)));
} else process.exit(code);
