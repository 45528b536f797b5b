// `npm start`: the whole pipeline on one machine — Redis, ingest (+ Lambda Invoke API), aggregator, broadcaster, demo traffic.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfigOrExit } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { startDemoTraffic } from "./demo-traffic.js";
import { type EmbeddedRedis, RedisBinaryMissingError, startEmbeddedRedis } from "./embedded-redis.js";

const config = loadConfigOrExit();
const logger = createLogger("start", config.logLevel);

let redis: EmbeddedRedis | undefined;
let redisUrl = config.redisUrl;
if (redisUrl === undefined && config.redisClusterNodes === undefined && config.redisSentinels === undefined) {
  try {
    redis = await startEmbeddedRedis(join(config.dataDir, "redis"));
  } catch (err) {
    process.stderr.write(`${err instanceof RedisBinaryMissingError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  redisUrl = redis.url;
  logger.info({ redisUrl }, `embedded redis-server started (AOF on, data in ${join(config.dataDir, "redis")})`);
}

// The one-machine stack starts its campaign by itself (a demo); production aggregators never do (README, "Exactly once
// through failovers"): there, `npm run reconcile -- --start-campaign` does. CAMPAIGN_AUTOSTART=0 turns it off here too.
const env = { CAMPAIGN_AUTOSTART: "1", ...process.env, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
const components: Array<[string, string]> = [
  ["aggregator", "aggregator/main.ts"],
  ["broadcaster", "broadcaster/main.ts"],
  ["ingest", "ingest/local/main.ts"],
];
const children = new Map<string, ChildProcess>();
let stopping = false;

for (const [name, entry] of components) {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL(`../${entry}`, import.meta.url))], {
    env,
    stdio: "inherit",
  });
  children.set(name, child);
  child.once("exit", (code, signal) => {
    children.delete(name);
    if (!stopping) {
      logger.error({ component: name, code, signal }, "component exited unexpectedly; stopping the pipeline");
      void shutdown(1);
    }
  });
}

async function waitForHealth(url: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const local = (port: number) => `http://localhost:${port}`;
try {
  await Promise.all([waitForHealth(`${local(config.ingestPort)}/healthz`), waitForHealth(`${local(config.broadcasterPort)}/healthz`)]);
} catch (err) {
  logger.error({ err: String(err) }, "pipeline did not start");
  await shutdown(1);
}

const demo = config.demo
  ? startDemoTraffic({
      url: `${local(config.ingestPort)}/v1/payments`,
      ratePerSecond: config.demoRatePerSecond,
      currency: config.currency,
      secret: config.ingestSecret,
      logger,
    })
  : undefined;

const b = local(config.broadcasterPort);
process.stdout.write(
  [
    "",
    `Live sales counter is running (campaign "${config.campaign}", ${config.currency}, ${config.shards} shards, fold every ${config.foldIntervalMs} ms)`,
    `  Event page      ${b}/`,
    `  Dashboard       ${b}/dashboard${config.dashboardToken ? " (needs DASHBOARD_TOKEN)" : ""}`,
    `  Total (JSON)    ${b}/v1/total`,
    `  Live (WS)       ws://localhost:${config.broadcasterPort}/v1/live`,
    `  Stream (SSE)    ${b}/v1/stream`,
    `  Metrics         ${b}/metrics`,
    `  Ingest          POST ${local(config.ingestPort)}/v1/payments`,
    `  Lambda Invoke   ${local(config.lambdaPort)}/2015-03-31/functions/ingestHttp/invocations`,
    `  Demo traffic    ${demo ? `on, ~${config.demoRatePerSecond} payments/s (DEMO=0 turns it off)` : "off"}`,
    "",
    "Post a payment:",
    `  curl -s -X POST ${local(config.ingestPort)}/v1/payments -H 'content-type: application/json' \\`,
    `    -d '{"paymentId":"my-first-1","amount":129000,"currency":"${config.currency}","occurredAt":"'$(date -u +%FT%TZ)'"}'`,
    "Ctrl-C stops everything.",
    "",
  ].join("\n"),
);

async function shutdown(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  demo?.stop();
  logger.info("stopping the pipeline");
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((done) => {
        const force = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(force);
          done();
        });
        child.kill("SIGTERM");
      }),
  );
  await Promise.all(exits);
  await redis?.stop();
  process.exit(exitCode);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
