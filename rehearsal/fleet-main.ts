// `npm run fleet`: brings up the production shape on one machine, prints what runs where, sends demo traffic through
// HAProxy (DEMO=0 turns it off); Ctrl-C stops every process.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../core/logger.js";
import { startDemoTraffic } from "../scripts/demo-traffic.js";
import { buildProduction, startFleet } from "./fleet.js";
import { startFleetControl } from "./fleet-control.js";

const logger = createLogger("fleet", process.env.LOG_LEVEL ?? "info");
const fleetPort = Number(process.env.FLEET_PORT ?? 8000);
if (!Number.isInteger(fleetPort) || fleetPort < 1 || fleetPort > 65535) {
  process.stderr.write(`FLEET_PORT=${JSON.stringify(process.env.FLEET_PORT)}: must be a port number (1-65535)\n`);
  process.exit(78);
}
const controlPort = Number(process.env.FLEET_CONTROL_PORT ?? fleetPort + 1);
if (!Number.isInteger(controlPort) || controlPort < 1 || controlPort > 65535) {
  process.stderr.write(`FLEET_CONTROL_PORT=${JSON.stringify(process.env.FLEET_CONTROL_PORT)}: must be a port number (1-65535)\n`);
  process.exit(78);
}
const demoOn = !["0", "false", "no", "off"].includes(process.env.DEMO ?? "1");
const demoRate = Number(process.env.DEMO_RATE ?? 50);
const runDir = process.env.FLEET_DIR ?? mkdtempSync(join(tmpdir(), "sales-fleet-"));

// What `npm run drill -- --attach` drives: the processes by name, and the demo traffic (paused for its finance check).
// Bound first, so a port in use stops here, before any process of the fleet runs.
const control = await startFleetControl(controlPort).catch((err: unknown) => {
  process.stderr.write(`FLEET_CONTROL_PORT=${controlPort}: cannot listen on 127.0.0.1 (${(err as Error).message})\n`);
  process.exit(78);
});
process.stdout.write("building the production bundles (npm run build)...\n");
await buildProduction();
process.stdout.write(`starting the fleet (logs and data in ${runDir})...\n`);
const fleet = await startFleet({ fleetPort, runDir, componentEnv: { LOG_LEVEL: process.env.LOG_LEVEL ?? "info" } });
const demo = demoOn
  ? startDemoTraffic({ url: `${fleet.url}/v1/payments`, ratePerSecond: demoRate, currency: "KRW", secret: undefined, logger, record: true })
  : undefined;
control.attach({ fleet, demo });

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  demo?.stop();
  await control.close();
  process.stdout.write("\nstopping the fleet...\n");
  await fleet.stop();
  process.exit(code);
};
for (const p of [...fleet.components.map((c) => c.process), fleet.haproxy, fleet.prometheus]) {
  p.onUnexpectedExit = (name, code, signal) =>
    logger.error({ process: name, code, signal }, "a fleet process exited unexpectedly (see its log)");
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

process.stdout.write(
  [
    "",
    await fleet.table(),
    "",
    `Everything goes through HAProxy at ${fleet.url}:`,
    `  Event page      ${fleet.url}/`,
    `  Dashboard       ${fleet.url}/dashboard`,
    `  Total (JSON)    ${fleet.url}/v1/total`,
    `  Payments        POST ${fleet.url}/v1/payments`,
    `  HAProxy stats   ${fleet.haproxyStatsUrl}`,
    `  Prometheus      ${fleet.prometheusUrl}/alerts`,
    `  Demo traffic    ${demo ? `on, ~${demoRate} payments/s through HAProxy, each retried until acknowledged (DEMO=0 turns it off)` : "off"}`,
    `  Control API     ${control.url}/fleet (for the drill)`,
    "Rehearse failures on it with `npm run drill -- --attach` (or `npm run drill` on a fleet of its own). Ctrl-C stops everything.",
    "",
  ].join("\n"),
);
