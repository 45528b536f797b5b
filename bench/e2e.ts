// e2e benchmark: payments posted at a steady rate while viewers watch; time from the ingest response to a viewer seeing a total that includes it.

import { fork } from "node:child_process";
import { RedisServer } from "../test/support/redis-server.js";
import type { PosterDone, PosterStart } from "./children/poster.js";
import { type ChildServer, startChild } from "./lib/child.js";
import { benchCommand, int, isMain, runMain } from "./lib/cli.js";
import type { E2eWorkerData, FromE2eWorker, ToE2eWorker } from "./lib/e2e-viewer-worker.js";
import { LatencyRecorder, nowMs } from "./lib/histogram.js";
import { note, withProgress } from "./lib/progress.js";
import { type BenchResult, computeRatios, finishResult, startResult } from "./lib/results.js";
import { nextMessage, startTsWorker } from "./lib/ts-worker.js";

export interface E2eOptions {
  readonly duration: number;
  readonly rate: number;
  readonly viewers: number;
  /** Viewer worker threads (default 1). */
  readonly workers?: number;
  /** Most requests in flight at once (lanes, one channel each; default 16, at most 18). */
  readonly lanes?: number;
  readonly out: string;
}

const campaign = "bench-e2e";
const drainMs = 1500;
const posterPath = new URL("./children/poster.ts", import.meta.url).pathname;
const workerUrl = new URL("./lib/e2e-viewer-worker.ts", import.meta.url);

/** The poster child process: open-loop payments over IPC (see children/poster.ts). */
async function startPoster(): Promise<{ run(start: PosterStart): Promise<PosterDone>; stop(): void }> {
  const child = fork(posterPath, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const failed = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`poster exited with ${code}`))));
  failed.catch(() => undefined);
  const next = <T>(type: string) =>
    Promise.race([
      new Promise<T>((resolve, reject) => {
        const onMessage = (msg: { type: string; message?: string }) => {
          if (msg.type === "error") reject(new Error(`poster: ${msg.message}`));
          else if (msg.type !== type) return;
          child.off("message", onMessage);
          resolve(msg as T);
        };
        child.on("message", onMessage);
      }),
      failed,
    ]);
  await next("ready");
  return {
    run: (start) => {
      const done = next<PosterDone>("done");
      child.send(start);
      return done;
    },
    stop: () => void child.kill("SIGTERM"),
  };
}

interface PhaseOptions {
  readonly broadcasterPort: number;
  readonly ingestUrl: string;
  readonly viewers: number;
  readonly workers: number;
  readonly rate: number;
  readonly durationMs: number;
  readonly lanePrefix: string;
  readonly maxLanes: number;
}

async function phase(poster: Awaited<ReturnType<typeof startPoster>>, o: PhaseOptions) {
  const threads = Math.max(1, Math.min(o.workers, o.viewers));
  const per = Math.ceil(o.viewers / threads);
  const workers = Array.from({ length: threads }, (_, i) => {
    const workerData: E2eWorkerData = {
      host: "127.0.0.1",
      port: o.broadcasterPort,
      path: "/v1/live",
      viewers: Math.max(0, Math.min(per, o.viewers - i * per)),
      firstAddress: 2 + i * 50,
      addresses: 50,
    };
    return startTsWorker(workerUrl, workerData);
  });
  try {
    const connected = await withProgress(
      `connecting ${o.viewers} viewers`,
      Math.max(1000, o.viewers * 2),
      Promise.all(workers.map((w) => nextMessage<FromE2eWorker, "connected">(w, "connected"))),
    );
    const failed = connected.reduce((sum, c) => sum + c.failed, 0);
    if (failed > 0) note(`${failed} viewers failed to connect (first: ${connected.find((c) => c.firstError)?.firstError})`);
    for (const w of workers) w.postMessage({ type: "measure" } satisfies ToE2eWorker);
    const t0 = nowMs();
    const batchSize = Math.max(1, Math.round(o.rate / 100));
    const posted = await withProgress(
      `posting ${o.rate}/s to ${o.viewers} viewers`,
      o.durationMs,
      poster.run({
        type: "start",
        url: o.ingestUrl,
        campaign,
        ratePerSec: o.rate,
        batchSize,
        durationMs: o.durationMs,
        lanePrefix: o.lanePrefix,
        maxLanes: o.maxLanes,
      }),
    );
    if (posted.failures > 0) note(`${posted.failures} ingest requests failed (first: ${posted.firstFailure})`);
    await new Promise((r) => setTimeout(r, drainMs));
    const seconds = (nowMs() - t0) / 1000;
    const done = await Promise.all(
      workers.map((w) => {
        const result = nextMessage<FromE2eWorker, "done">(w, "done");
        w.postMessage({ type: "stop", batches: posted.batches } satisfies ToE2eWorker);
        return result;
      }),
    );
    const latency = new LatencyRecorder();
    for (const d of done) for (const ms of d.latenciesMs) latency.recordMs(ms);
    const s = latency.summary();
    const sum = (f: (d: (typeof done)[number]) => number) => done.reduce((acc, d) => acc + f(d), 0);
    return {
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      maxMs: s.maxMs,
      paymentsPerSec: Math.round(posted.payments / posted.seconds),
      lateSends: posted.lateSends,
      lanes: posted.lanesUsed,
      messagesPerSec: Math.round(sum((d) => d.messages) / seconds),
      missed: sum((d) => d.missing),
      beforeResponse: sum((d) => d.beforeResponse),
      errors:
        failed +
        posted.failures +
        sum((d) => d.disorder + d.errors.handshake + d.errors.badFrames + d.errors.closed + d.errors.socketErrors),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function runE2e(options: E2eOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("e2e", { ...options }, { name: "p99Ms", higherIsBetter: false });
  note("starting redis-server, the ingest gateway, and aggregator + broadcaster ...");
  const redis = await RedisServer.start();
  const children: ChildServer[] = [];
  let poster: Awaited<ReturnType<typeof startPoster>> | undefined;
  try {
    const env = { REDIS_URL: redis.url, CAMPAIGN: campaign, SHARDS: "64", MAX_CONNECTIONS: "1000000" };
    children.push(await startChild("gateway", env));
    children.push(await startChild("broadcaster", env));
    const [gateway, broadcaster] = children as [ChildServer, ChildServer];
    const ingestUrl = `http://127.0.0.1:${gateway.info.port}/v1/payments`;
    const port = broadcaster.info.port ?? 0;
    const durationMs = options.duration * 1000;
    const scenario = "ingest response → viewer";
    const common = { broadcasterPort: port, ingestUrl, durationMs, workers: options.workers ?? 1 };
    poster = await startPoster();
    const base = await phase(poster, { ...common, viewers: 1, rate: 7, lanePrefix: "base-", maxLanes: 2 });
    result.rows.push({ scenario, subject: "1 viewer, 7 payments/s", baseline: undefined, metrics: base });
    const loaded = await phase(poster, {
      ...common,
      viewers: options.viewers,
      rate: options.rate,
      lanePrefix: "lane-",
      maxLanes: Math.min(18, options.lanes ?? 16),
    });
    result.rows.push({
      scenario,
      subject: `${options.viewers} viewers, ${options.rate} payments/s`,
      baseline: "1 viewer, 7 payments/s",
      metrics: loaded,
    });
    result.targets.push({
      target: "p99 ≤ 150 ms at 1,000 payments/s with 1,000 viewers",
      actual: `${loaded.p99Ms} ms at ${loaded.paymentsPerSec}/s with ${options.viewers} viewers`,
      met: loaded.p99Ms <= 150 && options.rate >= 1000 && options.viewers >= 1000,
    });
  } finally {
    poster?.stop();
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    await redis.stop();
  }
  computeRatios(result);
  result.notes.push(
    "A poster child process sends POST /v1/payments open-loop: batch k (rate/100 payments) is scheduled at start + k × batch/rate whatever the responses; each request goes out on a free lane (≤ 1 in flight per lane, a new lane when all are busy, up to --lanes). lateSends = sends > 5 ms after their scheduled time.",
    "Each lane's events carry the lane as `channel`, so a lane's counted payments are a prefix of what it sent and the snapshot's channel count says exactly which batches it includes. A batch's latency, per viewer, is the receive time of the first snapshot that viewer got with its lane's count ≥ the batch's cumulative count, minus the poster's ingest response time.",
    "Clocks: epoch ms from performance.timeOrigin + performance.now() in the poster process and in the viewer threads (same machine). beforeResponse = samples where the viewer had the snapshot before the poster had the response (a fold ran between the count and the reply); they count as ~0 ms.",
    `Viewers are raw WebSocket clients (bench/lib/raw-ws.ts) in ${options.workers ?? 1} worker thread(s) of this process, from 127.0.0.x; each snapshot is parsed once per thread, each message only read for seq. Expected floor: about half the 100 ms fold interval on average, up to 100 ms.`,
    "The baseline posts 7/s, not 10/s, so its posts do not phase-lock with the 100 ms fold.",
    "missed = (viewer, batch) pairs not seen within 1.5 s after posting stopped; errors = failed connections, failed ingest requests, protocol errors.",
  );
  finishResult(result, started, options.out);
  return result;
}

export function e2eCommand() {
  return benchCommand("e2e", "ingest response → viewer latency with payments at a steady rate and many viewers", 5)
    .option("-r, --rate <n>", "payments per second", int, 1000)
    .option("-v, --viewers <n>", "WebSocket viewers", int, 1000)
    .option("-w, --workers <n>", "viewer worker threads", int, 1)
    .option("--lanes <n>", "most ingest requests in flight (one channel each, ≤ 18)", int, 16);
}

if (isMain(import.meta.url)) {
  const options = e2eCommand().parse().opts<E2eOptions>();
  runMain(() => runE2e(options));
}
