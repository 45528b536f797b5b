// fanout benchmark: N WebSocket viewers in several load-generator processes while snapshots are published at the fold
// rate. Compares, in the same run and with the same frames at the same rate: our uWS broadcaster (counter and full
// view), the `ws` relay, Socket.IO 4 + redis-adapter and Go net/http + gorilla/websocket (when Go is installed); reports
// egress per viewer for each view and rate; `--find-capacity` searches viewers per broadcaster (bench/lib/capacity.ts).
import { Redis } from "ioredis";
import { RedisServer } from "../test/support/redis-server.js";
import { runCapacity } from "./lib/capacity.js";
import { benchCommand, int, intList, isMain, runMain } from "./lib/cli.js";
import { measure, SnapshotPublisher } from "./lib/fanout-measure.js";
import { goRelayBinary, removeGoBinary, type SubjectKind, startSubject } from "./lib/fanout-subjects.js";
import { note, withProgress } from "./lib/progress.js";
import { type BenchResult, finishResult, startResult } from "./lib/results.js";
import { ViewerFleet } from "./lib/viewer-fleet.js";

export interface FanoutOptions {
  readonly duration: number;
  readonly viewers: number;
  readonly hz: number;
  readonly publishHz: number;
  /** Run the peers (ws relay, Socket.IO, Go) too (default true). */
  readonly peers?: boolean;
  readonly egress?: boolean;
  readonly egressViewers: number;
  readonly findCapacity?: boolean;
  readonly bound: number;
  readonly capacityHz: number[];
  readonly capacityViews: string[];
  readonly capacityProcesses: number[];
  readonly capacityStart: number;
  readonly capacityMax: number;
  readonly capacityGrowth: number;
  readonly out: string;
}

const campaign = "bench-fanout";

async function compare(options: FanoutOptions, redisUrl: string, publisher: SnapshotPublisher, result: BenchResult): Promise<void> {
  const subjects: Array<{ kind: SubjectKind; view: "counter" | "full"; baseline?: boolean }> = [
    { kind: "uws", view: "counter" },
    { kind: "uws", view: "full" },
  ];
  if (options.peers !== false) {
    subjects.unshift({ kind: "ws", view: "counter", baseline: true });
    subjects.push({ kind: "socketio", view: "counter" }, { kind: "go", view: "counter" });
  }
  const scenario = `${options.viewers} viewers, ${options.hz} Hz`;
  const baseline = subjects.some((s) => s.baseline) ? "ws relay, counter view" : undefined;
  for (const s of subjects) {
    if (s.kind === "go" && goRelayBinary() === null) {
      result.notes.push("Go is not installed (or its build failed): the Go net/http + gorilla/websocket rows are skipped.");
      continue;
    }
    const subject = await startSubject({ kind: s.kind, redisUrl, campaign, view: s.view, hz: options.hz }, options.publishHz);
    const fleet = new ViewerFleet();
    try {
      const label = `${subject.label}, ${s.view} view`;
      const connected = await withProgress(
        `${label}: connecting ${options.viewers}`,
        options.viewers,
        fleet.connect(options.viewers, { host: "127.0.0.1", ...subject }),
      );
      if (connected.failed > 0) note(`${label}: ${connected.failed} viewers failed to connect (first: ${connected.firstError})`);
      // Publishing starts once everyone is connected: a saturated peer would otherwise time handshakes out.
      publisher.start(options.publishHz);
      await new Promise((r) => setTimeout(r, 1000));
      const run = measure(subject, fleet, publisher, options.viewers - connected.failed, {
        seconds: options.duration,
        publishHz: options.publishHz,
        hz: options.hz,
      });
      const { figures } = await withProgress(`${label}: publishing at ${options.publishHz} Hz`, options.duration * 1000, run);
      result.rows.push({
        scenario,
        subject: label,
        baseline: s.baseline ? undefined : baseline,
        metrics: { ...figures, failedConnections: connected.failed, clientProcesses: fleet.processCount },
      });
    } finally {
      publisher.stop();
      await fleet.stop();
      await subject.stop();
    }
  }
}

/** Egress per viewer for each view and rate: groups of viewers on one broadcaster, bytes counted per group. */
/** The shortest egress window (s). */
const egressMinSeconds = 3;

async function egress(options: FanoutOptions, redisUrl: string, publisher: SnapshotPublisher, result: BenchResult): Promise<void> {
  const subject = await startSubject({ kind: "uws", redisUrl, campaign, view: "counter", hz: 10 }, options.publishHz);
  const fleet = new ViewerFleet();
  const groups: Array<{ view: string; hz: number; tag: string }> = [];
  publisher.start(options.publishHz);
  try {
    for (const view of ["full", "counter"])
      for (const hz of [10, 5, 2, 1]) {
        const path = `/v1/live?campaign=${campaign}&view=${view}&hz=${hz}`;
        const { tag } = await fleet.connect(options.egressViewers, { host: "127.0.0.1", port: subject.port, path, protocol: "ws" });
        groups.push({ view, hz, tag });
      }
    const total = options.egressViewers * groups.length;
    // At least 3 s whatever --duration: a 1 Hz group gets a few frames, not the one or none a 1 s window catches.
    const windowSeconds = Math.max(options.duration, egressMinSeconds);
    const run = measure(subject, fleet, publisher, total, { seconds: windowSeconds, publishHz: options.publishHz, hz: 1 });
    const { tags, seconds } = await withProgress(`egress: ${total} viewers in ${groups.length} groups`, windowSeconds * 1000, run);
    const perViewerSecond = (g: { tag: string }) => tags[g.tag]!.bytes / seconds / tags[g.tag]!.viewers;
    const full10 = groups.find((g) => g.view === "full" && g.hz === 10)!;
    for (const g of groups) {
      const t = tags[g.tag]!;
      const bytes = perViewerSecond(g);
      result.rows.push({
        scenario: "egress per viewer",
        subject: `${g.view} view, ${g.hz} Hz`,
        // Ratios against the full view at 10 Hz are a metric of their own here, not the table's p99 ratio.
        baseline: undefined,
        metrics: {
          bytesPerViewerSecond: Math.round(bytes),
          framesPerViewerSecond: Math.round((t.messages / seconds / t.viewers) * 100) / 100,
          bytesPerFrame: Math.round(t.bytes / Math.max(1, t.messages)),
          mbPerViewerHour: Math.round((bytes * 3600) / 1e4) / 100,
          gbPerHourAt60kViewers: Math.round((bytes * 3600 * 60_000) / 1e7) / 100,
          fewerBytesThanFull10Hz: Math.round((perViewerSecond(full10) / bytes) * 10) / 10,
        },
      });
    }
  } finally {
    publisher.stop();
    await fleet.stop();
    await subject.stop();
  }
}

export async function runFanout(options: FanoutOptions): Promise<BenchResult> {
  const started = Date.now();
  note("starting redis-server ...");
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  const publisher = new SnapshotPublisher(redis, campaign);
  try {
    await publisher.publishOne();
    if (options.findCapacity) return await runCapacity(options, server.url, publisher, campaign);
    const result = startResult("fanout", { ...options }, { name: "p99Ms", higherIsBetter: false });
    await compare(options, server.url, publisher, result);
    if (options.egress !== false) await egress(options, server.url, publisher, result);
    result.notes.push(
      `Every subject serves the same frames (the counter view: ${Buffer.byteLength(JSON.stringify({ campaign, epoch: "m3x9k2-bench", seq: 1, at: new Date().toISOString(), currency: "KRW", total: "74300000129000", count: 1000001 }))} bytes; the full snapshot ~${Buffer.byteLength(publisher.json())} bytes with 4 channels and 7 categories) at the same rate from the same Redis channel; the peers build the counter view once per snapshot as ours does, and send every n-th snapshot for a lower rate (no phases).`,
      "Latency = receive time − `at`, which the benchmark sets to the publish time (ISO-8601, millisecond precision, so figures are up to 1 ms high).",
      "Viewers are raw WebSocket clients (bench/lib/raw-ws.ts) in several processes (bench/children/fanout-viewers.ts, at most 19,000 each: 20,000 open files per process); Socket.IO viewers speak Engine.IO v4 over the same client (open → 40, ping → pong).",
      "serverCpuPct / clientCpuPct: % of one core (the machine has two); serverUsPerMessage: server CPU per delivered frame; bytesPerSec: what the viewers read, WebSocket headers included, TCP/IP overhead excluded.",
      "deliveredPct: frames received / (viewers × snapshots published ÷ n), n = snapshots per frame at the viewer's rate.",
    );
    finishResult(result, started, options.out);
    return result;
  } finally {
    redis.disconnect();
    await server.stop();
    removeGoBinary();
  }
}

export function fanoutCommand() {
  return benchCommand("fanout", "WebSocket fan-out: uWS broadcaster vs ws, Socket.IO and Go; egress per viewer; --find-capacity", 5)
    .option("-v, --viewers <n>", "WebSocket viewers per subject", int, 10_000)
    .option("--hz <n>", "frames a second per viewer (?hz=)", int, 10)
    .option("--publish-hz <n>", "snapshots published a second (the fold rate)", int, 10)
    .option("--no-peers", "only our broadcaster (no ws relay, Socket.IO, Go)")
    .option("--no-egress", "skip the egress-per-viewer groups")
    .option("--egress-viewers <n>", "viewers per view and rate in the egress groups", int, 200)
    .option("--find-capacity", "search the largest number of viewers under --bound", false)
    .option("--bound <ms>", "p99 publish→receive bound for --find-capacity", int, 250)
    .option("--capacity-hz <list>", "rates searched", intList, [1, 2, 10])
    .option("--capacity-views <list>", "views searched", (v: string) => v.split(","), ["counter", "full"])
    .option("--capacity-processes <list>", "broadcaster processes sharing the port", intList, [1, 2])
    .option("--capacity-start <n>", "first step of the search", int, 2500)
    .option("--capacity-max <n>", "largest number of viewers tried", int, 60_000)
    .option("--capacity-growth <x>", "factor between steps before the bound is crossed", Number, 1.5);
}

if (isMain(import.meta.url)) {
  const options = fanoutCommand().parse().opts<FanoutOptions>();
  runMain(() => runFanout(options));
}
