// http benchmark: GET /v1/total on the broadcaster against, in the same run, a node:http server serving the same bytes
// (the baseline) and a bare uWS app serving them (the ceiling), each in its own child process. Load comes from wrk
// (a C load generator, when installed) and from autocannon (in this process); every row names its generator.
import { readFileSync } from "node:fs";
import { RedisServer } from "../test/support/redis-server.js";
import { type ChildServer, startChild } from "./lib/child.js";
import { benchCommand, hasCommand, int, isMain, runMain } from "./lib/cli.js";
import { type LoadFigures, runLoad } from "./lib/load.js";
import { note } from "./lib/progress.js";
import { type BenchResult, computeRatios, finishResult, type ResultRow, startResult } from "./lib/results.js";
import { runWrk, type WrkFigures } from "./lib/wrk.js";

export interface HttpOptions {
  readonly duration: number;
  readonly connections: number;
  readonly pipelining: number;
  readonly url: string | undefined;
  readonly out: string;
  /** Drive wrk when it is installed (default true); false runs autocannon only. */
  readonly wrk?: boolean;
  /** wrk threads (default 1: on 2 cores one load-generator thread and one server process). */
  readonly wrkThreads?: number;
  /** Measure every row this many times, servers alternating, and keep the median run (default 1). */
  readonly rounds?: number;
}

const SUBJECT = "broadcaster /v1/total";
const BASELINE = "node:http";
const CEILING = "bare uWS (ceiling)";

/** Response headers the broadcaster sends that the other servers must send too; the rest each server adds itself. */
const serverAddedHeaders = new Set(["date", "content-length", "connection", "keep-alive", "transfer-encoding", "uwebsockets"]);

interface Target {
  readonly subject: string;
  readonly url: string;
  readonly child: ChildServer | undefined;
}

type Generator = "wrk" | "autocannon";

interface Scenario {
  readonly generator: Generator;
  readonly name: string;
  readonly pipelining: number;
  /** Send If-None-Match with the current ETag: the 304 path pollers take. */
  readonly conditional: boolean;
  readonly targets: readonly Target[];
}

export async function runHttp(options: HttpOptions): Promise<BenchResult> {
  const started = Date.now();
  const wrkThreads = options.wrkThreads ?? 1;
  const rounds = Math.max(1, options.rounds ?? 1);
  const useWrk = (options.wrk ?? true) && hasCommand("wrk");
  const result = startResult("http", { ...options, wrkThreads, rounds, wrk: useWrk }, { name: "reqPerSec", higherIsBetter: true });
  const owned: Array<{ stop(): Promise<void> }> = [];
  try {
    let url = options.url;
    let stack: ChildServer | undefined;
    if (url === undefined) {
      note("starting redis-server and the broadcaster (with an aggregator) ...");
      const redis = await RedisServer.start();
      owned.push(redis);
      stack = await startChild("broadcaster", { REDIS_URL: redis.url, CAMPAIGN: "bench", HEARTBEAT_MS: "60000" });
      owned.unshift(stack);
      url = `http://127.0.0.1:${stack.info.port}/v1/total`;
    }
    const sample = await fetch(url);
    if (sample.status !== 200) throw new Error(`GET ${url} answered ${sample.status}`);
    const body = Buffer.from(await sample.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of sample.headers) if (!serverAddedHeaders.has(name)) headers[name] = value;
    const env = { BODY_BASE64: body.toString("base64"), HEADERS_JSON: JSON.stringify(headers) };
    const baseline = await startChild("node-http", env);
    owned.unshift(baseline);
    // The ceiling only matters where the load generator can saturate a uWS server: the wrk rows.
    const ceiling = useWrk ? await startChild("uws-raw", env) : undefined;
    if (ceiling) owned.unshift(ceiling);

    const broadcaster: Target = { subject: SUBJECT, url, child: stack };
    const nodeHttp: Target = { subject: BASELINE, url: `http://127.0.0.1:${baseline.info.port}/v1/total`, child: baseline };
    const bare: Target = { subject: CEILING, url: `http://127.0.0.1:${ceiling?.info.port}/v1/total`, child: ceiling };
    const depths = [...new Set([1, options.pipelining])];
    const c = options.connections;
    const scenarios: Scenario[] = [];
    if (useWrk) {
      const threads = `${Math.min(wrkThreads, c)} thread${wrkThreads > 1 ? "s" : ""}`;
      for (const p of depths)
        scenarios.push({
          generator: "wrk",
          name: `wrk ${threads}, ${c} conns, pipelining ${p}`,
          pipelining: p,
          conditional: false,
          targets: [nodeHttp, bare, broadcaster],
        });
      scenarios.push({
        generator: "wrk",
        name: `wrk ${threads}, ${c} conns, If-None-Match → 304`,
        pipelining: 1,
        conditional: true,
        targets: [nodeHttp, bare, broadcaster],
      });
    }
    for (const p of depths)
      scenarios.push({
        generator: "autocannon",
        name: `autocannon, ${c} conns, pipelining ${p}`,
        pipelining: p,
        conditional: false,
        targets: [nodeHttp, broadcaster],
      });

    for (const scenario of scenarios) {
      // Rounds alternate the servers, so a burst of load from elsewhere on the machine hits all of them alike.
      const runs = new Map<Target, Array<Record<string, number>>>(scenario.targets.map((t) => [t, []]));
      for (let round = 1; round <= rounds; round++)
        for (const target of scenario.targets) {
          const o = {
            duration: options.duration,
            connections: c,
            wrkThreads,
            broadcasterUrl: url,
            round: rounds > 1 ? ` ${round}/${rounds}` : "",
          };
          runs.get(target)!.push(await measure(scenario, target, o));
        }
      for (const [target, figures] of runs)
        result.rows.push({
          scenario: scenario.name,
          subject: target.subject,
          baseline: target === nodeHttp ? undefined : BASELINE,
          metrics: medianRun(figures),
        });
      const subject = result.rows.find((r) => r.scenario === scenario.name && r.subject === SUBJECT);
      const top = result.rows.find((r) => r.scenario === scenario.name && r.subject === CEILING);
      if (subject && top?.metrics.reqPerSec)
        (subject.metrics as Record<string, number>).pctOfCeiling = Math.round((subject.metrics.reqPerSec! / top.metrics.reqPerSec) * 100);
    }

    result.notes.push(
      `Response: ${body.length}-byte body; headers every server sends: ${Object.keys(headers).join(", ")} (plus Date and Content-Length; node:http adds Connection/Keep-Alive, uWS adds "uWebSockets: 20"). All keep-alive, ${c} connections, ${options.duration} s per run, one server per child process${rounds > 1 ? `; each row is the median-req/s run of ${rounds}, servers alternating` : ""}.`,
      useWrk
        ? `wrk rows: wrk ${wrkThreads} thread(s) as a child process (on 2 cores: one load-generator thread, one server process); pipelining via a Lua request() that writes N requests at once; p50/p99/max from wrk's latency histogram, without p50/p99 when pipelining (wrk's coordinated-omission correction assumes one response per write and invents samples then; see the autocannon rows).`
        : hasCommand("wrk")
          ? "wrk rows: skipped (--no-wrk)."
          : "wrk rows: wrk is not installed (`apt-get install wrk`); autocannon rows only, and one autocannon thread without pipelining tops out near 50k req/s against any server on this machine.",
      "autocannon rows: autocannon in this process, one thread; without pipelining it saturates before the uWS servers do, so those rows measure the client more than the server.",
      `${CEILING}: a uWS app with no routing, query or snapshot logic writing the same prebuilt head and body; pctOfCeiling = broadcaster req/s as % of it in the same scenario. serverCpuPct and loadGenCpuPct = CPU of the server process and of the load generator during the row (100 = one core; clock ticks of 10 ms).`,
    );
    for (const r of result.rows)
      if ((r.metrics.errors ?? 0) > 0 || (r.metrics.non2xx ?? 0) > 0)
        result.notes.push(
          `${r.scenario} / ${r.subject}: ${r.metrics.errors} socket errors and ${r.metrics.non2xx} error statuses; its figures are suspect.`,
        );
    addTargets(result, options.pipelining);
  } finally {
    for (const o of owned) await o.stop().catch(() => undefined);
  }
  finishResult(result, started, options.out);
  return result;
}

/** The run with the median req/s (all its figures, so they stay consistent with each other). */
function medianRun(runs: Array<Record<string, number>>): Record<string, number> {
  const sorted = [...runs].sort((a, b) => (a.reqPerSec ?? 0) - (b.reqPerSec ?? 0));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function measure(
  scenario: Scenario,
  target: Target,
  o: { duration: number; connections: number; wrkThreads: number; broadcasterUrl: string; round: string },
): Promise<Record<string, number>> {
  const label = `${scenario.generator} p=${scenario.pipelining}${scenario.conditional ? " 304" : ""} ${target.subject}${o.round}`;
  let headers: Record<string, string> | undefined;
  if (scenario.conditional) {
    // The current ETag, just before the row (a new snapshot in between would make this row serve some 200s).
    const etag = (await fetch(o.broadcasterUrl)).headers.get("etag");
    if (etag !== null) headers = { "If-None-Match": etag };
  }
  const before = target.child?.usage();
  const genBefore = loadGeneratorCpuSeconds(scenario.generator);
  const t0 = performance.now();
  const load = { url: target.url, connections: o.connections, pipelining: scenario.pipelining, durationSeconds: o.duration, headers };
  const figures: WrkFigures | LoadFigures =
    scenario.generator === "wrk" ? await runWrk(label, { ...load, threads: o.wrkThreads }) : await runLoad(label, load);
  const after = target.child?.usage();
  const genAfter = loadGeneratorCpuSeconds(scenario.generator);
  const seconds = (performance.now() - t0) / 1000;
  const pct = (cpuSeconds: number) => Math.round((cpuSeconds / seconds) * 100);
  const out: Record<string, number> = { ...figures };
  if (before && after) out.serverCpuPct = pct(after.cpuSeconds - before.cpuSeconds);
  if (genBefore !== undefined && genAfter !== undefined) out.loadGenCpuPct = pct(genAfter - genBefore);
  return out;
}

/**
 * CPU seconds of the load generator so far: this process for autocannon; for wrk, the CPU of this process's
 * exited children (cutime + cstime in /proc/self/stat), which grows by wrk's when it exits and is reaped.
 */
function loadGeneratorCpuSeconds(generator: Generator): number | undefined {
  if (generator === "autocannon") {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function addTargets(result: BenchResult, pipelining: number): void {
  computeRatios(result);
  const rowsOf = (generator: Generator, scenarioEnd: string) =>
    result.rows.filter((r) => r.subject === SUBJECT && r.scenario.startsWith(generator) && r.scenario.endsWith(scenarioEnd));
  const pick = (scenarioEnd: string): ResultRow | undefined => rowsOf("wrk", scenarioEnd)[0] ?? rowsOf("autocannon", scenarioEnd)[0];
  const by = (row: ResultRow | undefined) => (row ? ` (${row.scenario.split(",")[0]})` : "");
  const noPipe = pick("pipelining 1");
  const rps = noPipe?.metrics.reqPerSec ?? 0;
  result.targets.push({
    target: "≥ 60,000 req/s without pipelining",
    actual: `${rps.toLocaleString("en-US")} req/s${by(noPipe)}`,
    met: rps >= 60000,
  });
  const ratio = noPipe?.ratio ?? 0;
  result.targets.push({ target: "≥ 1.5× node:http without pipelining, same run", actual: `${ratio}×${by(noPipe)}`, met: ratio >= 1.5 });
  if (pipelining > 1) {
    const piped = pick(`pipelining ${pipelining}`);
    const r = piped?.ratio ?? 0;
    result.targets.push({ target: `≥ 1.5× node:http with pipelining ${pipelining}, same run`, actual: `${r}×${by(piped)}`, met: r >= 1.5 });
  }
}

export function httpCommand() {
  return benchCommand(
    "http",
    "wrk and autocannon against GET /v1/total (uWS broadcaster) vs node:http and a bare uWS app serving the same bytes",
    5,
  )
    .option("-c, --connections <n>", "concurrent connections", int, 100)
    .option("-p, --pipelining <n>", "pipelined requests per connection for the second pass (1 = only the first)", int, 10)
    .option("--url <url>", "target this /v1/total instead of starting Redis and a broadcaster")
    .option("--no-wrk", "autocannon only, even when wrk is installed")
    .option("--wrk-threads <n>", "wrk threads (1 leaves the second core to the server)", int, 1)
    .option("-r, --rounds <n>", "runs per row, servers alternating; the median-req/s run is reported", int, 1);
}

if (isMain(import.meta.url)) {
  const options = httpCommand().parse().opts<HttpOptions>();
  runMain(() => runHttp(options));
}
