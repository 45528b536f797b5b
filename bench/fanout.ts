// fanout benchmark: N WebSocket viewers while snapshots are published at 10 Hz; uWS broadcaster vs a `ws` relay baseline.
import type { Worker } from "node:worker_threads";
import { Redis } from "ioredis";
import { campaignKeys } from "../core/store/keys.js";
import { RedisServer } from "../test/support/redis-server.js";
import { type CpuLayout, cpuLayout, pin } from "./lib/affinity.js";
import { startChild } from "./lib/child.js";
import { benchCommand, int, isMain, runMain } from "./lib/cli.js";
import type { FanoutWorkerData, FromWorker, ToWorker } from "./lib/fanout-worker.js";
import { LatencyRecorder } from "./lib/histogram.js";
import { note, withProgress } from "./lib/progress.js";
import { epochMs, type RawWsErrors } from "./lib/raw-ws.js";
import { type BenchResult, computeRatios, finishResult, startResult } from "./lib/results.js";
import { nextMessage, startTsWorker } from "./lib/ts-worker.js";

export interface FanoutOptions {
  readonly duration: number;
  readonly viewers: number;
  readonly workers: number;
  readonly hz: number;
  /** Run the ws relay baseline too (default true). */
  readonly baseline?: boolean;
  /** Pin the server to the last CPU and the clients, publisher and Redis to the others (default false; needs taskset). */
  readonly pin?: boolean;
  readonly out: string;
}

const campaign = "bench-fanout";
const keys = campaignKeys(campaign, 64);
const workerUrl = new URL("./lib/fanout-worker.ts", import.meta.url);
let seq = 0;

/** A snapshot as the aggregator would publish it, plus `publishedAtMs` (epoch ms, sub-millisecond) right after seq. */
function snapshot(): string {
  seq++;
  const publishedAtMs = epochMs();
  return JSON.stringify({
    campaign,
    epoch: "bench",
    seq,
    publishedAtMs,
    at: new Date(publishedAtMs).toISOString(),
    currency: "KRW",
    total: String(seq * 10000),
    count: seq,
    refunded: "0",
    refunds: 0,
    perMinute: { count: 0, total: "0" },
    channels: {},
    categories: {},
    duplicates: 0,
    rejected: 0,
    foldMs: 0,
  });
}

const once = <T extends FromWorker["type"]>(worker: Worker, type: T) => nextMessage<FromWorker, T>(worker, type);

async function measureServer(child: string, redis: Redis, redisUrl: string, options: FanoutOptions, layout: CpuLayout | undefined) {
  const server = await startChild(child, { REDIS_URL: redisUrl, CAMPAIGN: campaign, MAX_CONNECTIONS: "1000000" });
  try {
    if (layout) pin(server.pid, layout.server);
    const idle = server.usage();
    const per = Math.ceil(options.viewers / options.workers);
    const workers = Array.from({ length: options.workers }, (_, i) => {
      const viewers = Math.max(0, Math.min(per, options.viewers - i * per));
      const workerData: FanoutWorkerData = {
        host: "127.0.0.1",
        port: server.info.port ?? 0,
        path: "/v1/live",
        viewers,
        firstAddress: 2 + i * 50,
        addresses: 50,
      };
      return startTsWorker(workerUrl, workerData);
    });
    const connected = await withProgress(
      `${child}: connecting ${options.viewers}`,
      options.viewers,
      Promise.all(workers.map((w) => once(w, "connected"))),
    );
    const failed = connected.reduce((sum, c) => sum + c.failed, 0);
    const firstError = connected.find((c) => c.firstError !== undefined)?.firstError;
    if (failed > 0) note(`${child}: ${failed} viewers failed to connect (first: ${firstError})`);
    const loaded = server.usage();
    for (const w of workers) w.postMessage({ type: "measure", afterSeq: seq } satisfies ToWorker);
    const firstSeq = seq + 1;
    const clientCpu0 = process.cpuUsage();
    const t0 = Date.now();
    const timer = setInterval(() => void redis.publish(keys.snapshots, snapshot()), 1000 / options.hz);
    await withProgress(
      `${child}: publishing at ${options.hz} Hz`,
      options.duration * 1000,
      new Promise((r) => setTimeout(r, options.duration * 1000)),
    );
    clearInterval(timer);
    const publishSeconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    const seconds = (Date.now() - t0) / 1000;
    const after = server.usage();
    const clientCpu = process.cpuUsage(clientCpu0);
    const done = await Promise.all(
      workers.map((w) => {
        const result = once(w, "done");
        w.postMessage({ type: "stop" } satisfies ToWorker);
        return result;
      }),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    const recorder = new LatencyRecorder();
    for (const d of done) for (const ms of d.latenciesMs) recorder.recordMs(ms);
    const s = recorder.summary();
    const published = seq - firstSeq + 1;
    // Per snapshot: first and last viewer to get it (all threads); medians over snapshots show pipeline vs burst length.
    const ranges = new Map<number, [number, number]>();
    for (const d of done)
      for (const [s, [lo, hi]] of Object.entries(d.spread)) {
        const r = ranges.get(Number(s));
        ranges.set(Number(s), r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
      }
    const median = (xs: number[]) => {
      const sorted = xs.sort((a, b) => a - b);
      return sorted.length === 0 ? 0 : Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
    };
    const errors: RawWsErrors = { handshake: 0, badFrames: 0, closed: 0, socketErrors: 0 };
    for (const d of done) for (const k of Object.keys(errors) as (keyof RawWsErrors)[]) errors[k] += d.errors[k];
    const received = done.reduce((sum, d) => sum + d.messages, 0);
    const open = Math.max(1, options.viewers - failed);
    const perThousand = 1000 / open;
    return {
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      maxMs: s.maxMs,
      firstViewerMs: median([...ranges.values()].map((r) => r[0])),
      lastViewerMs: median([...ranges.values()].map((r) => r[1])),
      // Over the publishing time (the 300 ms drain after it delivers the last snapshot): viewers × hz when all arrive.
      messagesPerSec: Math.round(received / publishSeconds),
      deliveredPct: Math.round((received / Math.max(1, published * open)) * 10000) / 100,
      skipped: done.reduce((sum, d) => sum + d.skipped, 0),
      protocolErrors: errors.badFrames + errors.closed + errors.socketErrors + done.reduce((sum, d) => sum + d.disorder, 0),
      failedConnections: failed,
      rssMiBPer1k: idle && loaded ? Math.round(((loaded.rssBytes - idle.rssBytes) / 2 ** 20) * perThousand * 100) / 100 : -1,
      cpuPctPer1k: loaded && after ? Math.round(((after.cpuSeconds - loaded.cpuSeconds) / seconds) * 100 * perThousand * 100) / 100 : -1,
      clientCpuPct: Math.round(((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100),
    };
  } finally {
    await server.stop();
  }
}

export async function runFanout(options: FanoutOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("fanout", { ...options }, { name: "p99Ms", higherIsBetter: false });
  // Pin before starting redis-server, so it inherits the clients' CPUs; the server child moves to its own CPU.
  const layout = options.pin === true ? cpuLayout() : undefined;
  if (options.pin === true && !layout) throw new Error("--pin needs Linux, taskset and at least 2 CPUs");
  if (layout && !pin(process.pid, layout.clients)) throw new Error("taskset failed: run without --pin");
  note("starting redis-server ...");
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  try {
    await redis.set(keys.latest, snapshot());
    const scenario = `${options.viewers} viewers, ${options.hz} Hz`;
    const withBaseline = options.baseline !== false;
    if (withBaseline) {
      const baseline = await measureServer("ws-broadcaster", redis, server.url, options, layout);
      result.rows.push({ scenario, subject: "ws relay (baseline)", baseline: undefined, metrics: baseline });
    }
    const uws = await measureServer("broadcaster-only", redis, server.url, options, layout);
    result.rows.push({ scenario, subject: "uWS broadcaster", baseline: withBaseline ? "ws relay (baseline)" : undefined, metrics: uws });
    result.targets.push({
      target: "10k viewers p99 ≤ 50 ms",
      actual: `${uws.p99Ms} ms with ${options.viewers} viewers`,
      met: uws.p99Ms <= 50 && options.viewers >= 10_000,
    });
  } finally {
    redis.disconnect();
    await server.stop();
    if (layout) pin(process.pid, layout.all);
  }
  computeRatios(result);
  result.notes.push(
    layout
      ? `CPU pinning (taskset): the server under test on CPU ${layout.server}, this process (publisher, viewer threads) and redis-server on CPU ${layout.clients}; other processes on the machine are not pinned.`
      : "No CPU pinning (--pin puts the server on its own CPU): server, clients and Redis float over every CPU.",
    "The benchmark publishes snapshots itself (no aggregator) with `publishedAtMs` = publish time (epoch ms from performance.timeOrigin + performance.now(), sub-millisecond; extra field, the contract allows it), so latency = receive time - publishedAtMs, both clocks of this process.",
    `Viewers are raw WebSocket clients (bench/lib/raw-ws.ts: net.Socket, own upgrade handshake checked against Sec-WebSocket-Accept, unmasked frames parsed from one shared read buffer, seq and publishedAtMs read with indexOf, pings answered) in ${options.workers} worker threads of this process, from 127.0.0.x source addresses; on 2 cores they compete with the server, so latency includes client scheduling.`,
    "firstViewerMs / lastViewerMs: median over snapshots of the latency of the first and of the last viewer to receive each one (pipeline: Redis PUBLISH → server → first socket; burst: how long one snapshot takes to reach every socket).",
    "deliveredPct: messages received during the measured phase / (snapshots published × connected viewers); skipped: snapshots a viewer never got because a later one superseded it; protocolErrors: bad frames, unexpected closes, socket errors, seq not increasing, or a message without seq/publishedAtMs.",
    "rssMiBPer1k: server RSS growth from idle to all connected, per 1,000 viewers; cpuPctPer1k: server CPU % while publishing, per 1,000 viewers; clientCpuPct: CPU % of this process (all viewer threads and the publisher) while publishing.",
  );
  finishResult(result, started, options.out);
  return result;
}

export function fanoutCommand() {
  return benchCommand("fanout", "publish→receive latency for N WebSocket viewers at 10 Hz: uWS broadcaster vs a ws relay", 5)
    .option("-v, --viewers <n>", "WebSocket viewers", int, 10_000)
    .option("-w, --workers <n>", "client worker threads", int, 2)
    .option("--hz <n>", "snapshots published per second", int, 10)
    .option("--no-baseline", "skip the ws relay baseline (for profiling the uWS run alone)")
    .option("--pin", "pin the server to its own CPU (taskset) and the clients, publisher and Redis to the others", false);
}

if (isMain(import.meta.url)) {
  const options = fanoutCommand().parse().opts<FanoutOptions>();
  runMain(() => runFanout(options));
}
