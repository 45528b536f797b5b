// The production shape on one machine: a Redis Cluster with replicas, 2 ingest gateways, 2 aggregators, 3 broadcasters
// (the production build, dist/), HAProxy as the one entry point and Prometheus with the alert rules of ops/.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePorts } from "../core/free-port.js";
import { sleep } from "../core/timeout.js";
import { FleetProcess, logFileIn } from "./processes.js";
import { type FleetRedisCluster, startRedisCluster } from "./redis-cluster.js";

const exec = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../", import.meta.url));

export interface FleetOptions {
  /** HAProxy's port on 127.0.0.1 (FLEET_PORT, default 8000). */
  readonly fleetPort: number;
  /** Logs, Redis data, generated configs. */
  readonly runDir: string;
  readonly campaign?: string;
  /** Environment for every component (fold interval, heartbeat, log level, ...). */
  readonly componentEnv?: Readonly<Record<string, string>>;
}

export interface Component {
  readonly name: string;
  readonly kind: "ingest" | "aggregator" | "broadcaster";
  readonly process: FleetProcess;
  /** Its own HTTP address (health, metrics), bypassing HAProxy. */
  readonly url: string;
}

export interface Fleet {
  readonly url: string;
  readonly campaign: string;
  readonly shards: number;
  readonly prometheusUrl: string;
  readonly haproxyStatsUrl: string;
  readonly redis: FleetRedisCluster;
  readonly components: readonly Component[];
  readonly haproxy: FleetProcess;
  readonly prometheus: FleetProcess;
  readonly runDir: string;
  byKind(kind: Component["kind"]): Component[];
  /** What runs where, as text rows. */
  table(): Promise<string>;
  stop(): Promise<void>;
}

async function waitFor(
  url: string,
  timeoutMs: number,
  owners: readonly FleetProcess[] = [],
  accept = (status: number) => status === 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = owners.find((p) => !p.running);
    if (dead) throw new Error(`${dead.spec.name} exited while starting: see ${dead.logFile}\n${tail(dead.logFile)}`);
    const status = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (accept(status)) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms (last status ${status || "none"})`);
    await sleep(200);
  }
}

/** The last lines of a log file, for an error message. */
function tail(file: string, lines = 8): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Resolves once HAProxy has every server of its backends in rotation (status UP in its stats CSV): a server it found
 * not ready at its start stays out until `rise` good checks, and viewers who connect meanwhile all land on the others.
 */
async function waitAllInRotation(statsUrl: string, servers: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const csv = await fetch(`${statsUrl};csv`).then(
      (r) => r.text(),
      () => "",
    );
    // Rows: pxname,svname,...,status (column 18); BACKEND and FRONTEND rows are the proxies themselves.
    const rows = csv.split("\n").map((line) => line.split(","));
    const up = rows.filter((r) => r[1] !== "BACKEND" && r[1] !== "FRONTEND" && r[17] === "UP").length;
    if (up >= servers) return;
    if (Date.now() > deadline) throw new Error(`HAProxy has ${up} of ${servers} servers in rotation after ${timeoutMs} ms: ${statsUrl}`);
    await sleep(200);
  }
}

/** npm run build, so the fleet runs what a container runs. */
export async function buildProduction(): Promise<void> {
  await exec(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "build.ts")], { cwd: repoRoot, timeout: 120_000 });
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { runDir } = options;
  mkdirSync(runDir, { recursive: true });
  const ports = await freePorts(6 + 4 + 2 + 3 + 2);
  const take = (n: number) => ports.splice(0, n);
  const [redisPorts, ingestPorts, aggregatorPorts, broadcasterPorts, [statsPort, prometheusPort]] = [
    take(6),
    take(4),
    take(2),
    take(3),
    take(2),
  ];
  const redis = await startRedisCluster(runDir, redisPorts);
  const processes: FleetProcess[] = [];
  const started: Component[] = [];
  try {
    const env: Record<string, string> = {
      REDIS_CLUSTER_NODES: redis.seeds,
      CAMPAIGN: options.campaign ?? "blackfriday",
      SHARDS: "64",
      HOST: "127.0.0.1",
      DEMO: "0",
      LOG_LEVEL: "info",
      ...options.componentEnv,
    };
    // As production does: the campaign gets its first epoch explicitly, before ingest opens (no CAMPAIGN_AUTOSTART).
    await exec(process.execPath, [join(repoRoot, "dist", "reconcile.js"), "--start-campaign", "--no-progress"], {
      cwd: repoRoot,
      env: { ...process.env, ...env, LOG_LEVEL: "warn" },
      timeout: 30_000,
    });
    const add = (kind: Component["kind"], index: number, port: number, extra: Record<string, string>) => {
      const name = `${kind}-${index}`;
      const proc = new FleetProcess(
        { name, command: process.execPath, args: [join(repoRoot, "dist", `${kind}.js`)], env: { ...env, ...extra }, cwd: repoRoot },
        logFileIn(runDir, name),
      );
      proc.start();
      processes.push(proc);
      started.push({ name, kind, process: proc, url: `http://127.0.0.1:${port}` });
    };
    for (let i = 0; i < 2; i++)
      add("ingest", i + 1, ingestPorts[2 * i]!, { INGEST_PORT: String(ingestPorts[2 * i]), LAMBDA_PORT: String(ingestPorts[2 * i + 1]) });
    for (let i = 0; i < 2; i++) add("aggregator", i + 1, aggregatorPorts[i]!, { AGGREGATOR_PORT: String(aggregatorPorts[i]) });
    for (let i = 0; i < 3; i++) add("broadcaster", i + 1, broadcasterPorts[i]!, { BROADCASTER_PORT: String(broadcasterPorts[i]) });
    await Promise.all(started.map((c) => waitFor(`${c.url}/healthz`, 30000, [c.process])));

    const haproxyEnv: Record<string, string> = { FLEET_PORT: String(options.fleetPort), HAPROXY_STATS_PORT: String(statsPort) };
    broadcasterPorts.forEach((p, i) => {
      haproxyEnv[`BROADCASTER_${i + 1}`] = `127.0.0.1:${p}`;
    });
    ingestPorts
      .filter((_, i) => i % 2 === 0)
      .forEach((p, i) => {
        haproxyEnv[`INGEST_${i + 1}`] = `127.0.0.1:${p}`;
      });
    const haproxy = new FleetProcess(
      { name: "haproxy", command: "haproxy", args: ["-db", "-f", join(repoRoot, "ops", "haproxy", "haproxy.cfg")], env: haproxyEnv },
      logFileIn(runDir, "haproxy"),
    );
    haproxy.start();
    processes.push(haproxy);

    const promDir = join(runDir, "prometheus");
    cpSync(join(repoRoot, "ops", "prometheus"), promDir, { recursive: true });
    mkdirSync(join(promDir, "targets"), { recursive: true });
    const targets = (kind: Component["kind"]) => started.filter((c) => c.kind === kind).map((c) => c.url.replace("http://", ""));
    const writeTargets = (job: string, list: string[]) =>
      writeFileSync(join(promDir, "targets", `${job}.json`), JSON.stringify([{ targets: list, labels: { fleet: "local" } }]));
    writeTargets("broadcaster", targets("broadcaster"));
    writeTargets("aggregator", targets("aggregator"));
    writeTargets("ingest", targets("ingest"));
    writeTargets("haproxy", [`127.0.0.1:${statsPort}`]);
    const prometheus = new FleetProcess(
      {
        name: "prometheus",
        command: "prometheus",
        args: [
          `--config.file=${join(promDir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(promDir, "data")}`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
          "--log.level=warn",
        ],
      },
      logFileIn(runDir, "prometheus"),
    );
    prometheus.start();
    processes.push(prometheus);

    const url = `http://127.0.0.1:${options.fleetPort}`;
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    await Promise.all([waitFor(`${url}/readyz`, 30000, [haproxy]), waitFor(`${prometheusUrl}/-/ready`, 30000, [prometheus])]);
    await waitAllInRotation(`http://127.0.0.1:${statsPort}/stats`, broadcasterPorts.length + ingestPorts.length / 2, 30000);

    const fleet: Fleet = {
      url,
      campaign: env.CAMPAIGN!,
      shards: Number(env.SHARDS),
      prometheusUrl,
      haproxyStatsUrl: `http://127.0.0.1:${statsPort}/stats`,
      redis,
      components: started,
      haproxy,
      prometheus,
      runDir,
      byKind: (kind) => started.filter((c) => c.kind === kind),
      table: () => fleetTable(fleet),
      stop: async () => {
        await Promise.all(processes.map((p) => p.stop()));
        await redis.stop();
        for (const p of processes) p.closeLog();
      },
    };
    return fleet;
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
    throw err;
  }
}

async function fleetTable(fleet: Fleet): Promise<string> {
  const rows: string[][] = [["process", "pid", "address", "role"]];
  const roles = await fleet.redis.roles();
  for (const node of fleet.redis.nodes) {
    const role = roles.find((r) => r.port === node.port);
    const detail = role?.role === "slave" ? `replica of :${role.masterPort}` : (role?.role ?? "?");
    rows.push([`redis ${node.port}`, String(node.process.pid ?? "-"), `127.0.0.1:${node.port}`, detail]);
  }
  for (const c of fleet.components) {
    let role = "";
    if (c.kind === "aggregator") {
      const health = await fetch(`${c.url}/healthz`).then(
        (r) => r.json() as Promise<{ leader?: boolean }>,
        () => ({}) as { leader?: boolean },
      );
      role = health.leader ? "leader" : "standby";
    }
    rows.push([c.name, String(c.process.pid ?? "-"), c.url.replace("http://", ""), role]);
  }
  rows.push(["haproxy", String(fleet.haproxy.pid ?? "-"), fleet.url.replace("http://", ""), `entry point; stats ${fleet.haproxyStatsUrl}`]);
  rows.push([
    "prometheus",
    String(fleet.prometheus.pid ?? "-"),
    fleet.prometheusUrl.replace("http://", ""),
    "scrapes every /metrics; ops/prometheus/alerts.yml",
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
