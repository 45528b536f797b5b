// One fanout measurement: snapshots published at the fold rate while a fleet of viewers listens to one subject;
// latency, delivery, server and client CPU, RSS and bytes on the wire over the measured window.
import type { Redis } from "ioredis";
import { campaignKeys } from "../../core/store/keys.js";
import { everyNth, type RunningSubject } from "./fanout-subjects.js";
import { LatencyRecorder } from "./histogram.js";
import type { ViewerFleet } from "./viewer-fleet.js";

export interface FanoutFigures extends Record<string, number> {
  viewers: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  messagesPerSec: number;
  deliveredPct: number;
  /** Server CPU, % of one core, all its processes together. */
  serverCpuPct: number;
  /** Server CPU per delivered message. */
  serverUsPerMessage: number;
  /** The viewer processes' CPU, % of one core (of the machine's two). */
  clientCpuPct: number;
  serverRssMiB: number;
  /** Bytes the viewers read (WebSocket frames with their headers), per second, all viewers. */
  bytesPerSec: number;
  bytesPerViewerSecond: number;
  errors: number;
}

const channels = ["app", "web", "kakao", "naver"];
const categories = ["outer", "shoes", "bags", "knit", "denim", "accessories", "beauty"];

/** Publishes snapshots the way the aggregator does (SET latest, PUBLISH), `at` = publish time; about 1 KB with 4 channels and 7 categories. */
export class SnapshotPublisher {
  seq = 0;
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    readonly campaign: string,
  ) {
    this.keys = campaignKeys(campaign, 64);
  }

  json(): string {
    this.seq++;
    const n = this.seq;
    const dims = (names: string[]) =>
      Object.fromEntries(
        names.map((name, i) => [name, { total: String(1_000_000_000 * (i + 1) + n * 7_000), count: 10_000 * (i + 1) + n }]),
      );
    return JSON.stringify({
      campaign: this.campaign,
      epoch: "m3x9k2-bench",
      seq: n,
      at: new Date().toISOString(),
      currency: "KRW",
      total: String(74_300_000_000_000 + n * 129_000),
      count: 1_000_000 + n,
      refunded: "1290000000",
      refunds: 10_000,
      perMinute: { count: 60_000, total: "7740000000" },
      channels: dims(channels),
      categories: dims(categories),
      duplicates: 1_234,
      rejected: 56,
      foldMs: 0.53,
    });
  }

  async publishOne(): Promise<void> {
    const json = this.json();
    await this.redis.pipeline().set(this.keys.latest, json).publish(this.keys.snapshots, json).exec();
  }

  private timer: NodeJS.Timeout | undefined;

  /** Publishes at `hz` until stop(), as a live sale does while viewers come and go. */
  start(hz: number): void {
    this.stop();
    this.timer = setInterval(() => void this.publishOne(), 1000 / hz);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface MeasureOptions {
  readonly seconds: number;
  readonly publishHz: number;
  readonly hz: number;
}

/**
 * Measures the viewers already connected (`viewers` of them) to `subject` while the publisher runs: the window covers
 * the snapshots published during `seconds`; publishing goes on while their last frames arrive, so every viewer stays
 * in steady state (no end-of-sale catch-up frames in the figures).
 */
export async function measure(
  subject: RunningSubject,
  fleet: ViewerFleet,
  publisher: SnapshotPublisher,
  viewers: number,
  options: MeasureOptions,
) {
  const afterSeq = publisher.seq;
  fleet.startMeasuring(afterSeq);
  const server0 = subject.usage();
  const client0 = fleet.cpuSeconds();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  const lastSeq = publisher.seq;
  const published = lastSeq - afterSeq;
  const publishSeconds = (performance.now() - t0) / 1000;
  const server1 = subject.usage();
  const clientCpu = fleet.cpuSeconds() - client0;
  fleet.endWindow(lastSeq);
  // The window's last snapshot reaches its last group within one interval plus a fold.
  await new Promise((r) => setTimeout(r, 1000 / options.hz + 1000 / options.publishHz + 300));
  const report = await fleet.report();
  const recorder = new LatencyRecorder();
  let messages = 0;
  for (const part of report.latenciesMs) {
    messages += part.length;
    for (const ms of part) recorder.recordMs(ms);
  }
  const bytes = Object.values(report.tags).reduce((sum, t) => sum + t.bytes, 0);
  const s = recorder.summary();
  const serverCpu = server1.cpuSeconds - server0.cpuSeconds;
  const expected = (viewers * published) / everyNth(options.hz, options.publishHz);
  const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
  const figures: FanoutFigures = {
    viewers,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    maxMs: s.maxMs,
    messagesPerSec: Math.round(messages / publishSeconds),
    deliveredPct: round(Math.min(100, (messages / Math.max(1, expected)) * 100), 2),
    serverCpuPct: round((serverCpu / publishSeconds) * 100),
    serverUsPerMessage: round((serverCpu / Math.max(1, messages)) * 1e6, 2),
    clientCpuPct: round((clientCpu / publishSeconds) * 100),
    serverRssMiB: round(server1.rssBytes / 2 ** 20),
    bytesPerSec: Math.round(bytes / publishSeconds),
    bytesPerViewerSecond: round(bytes / publishSeconds / Math.max(1, viewers)),
    errors: report.errors + report.disorder,
  };
  return { figures, tags: report.tags, seconds: publishSeconds };
}
