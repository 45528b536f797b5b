// Child process for the e2e benchmark: posts payments to the ingest gateway open-loop, at a fixed rate scheduled by the clock.
// Every request goes out on a "lane": a lane has at most one request in flight, and its events carry the lane's name as
// `channel`, so the snapshot's per-channel count tells exactly which of that lane's batches a total includes (a prefix).
// A request never waits for another lane's response; when every lane is busy, a new lane opens (up to maxLanes), and only
// past that is a send late. Talks to the parent over IPC: { type: "start", ... } in, { type: "done", ... } out.
import { Agent, request } from "node:http";
import { epochMs } from "../lib/raw-ws.js";

export interface PosterStart {
  readonly type: "start";
  readonly url: string;
  readonly campaign: string;
  readonly ratePerSec: number;
  readonly batchSize: number;
  readonly durationMs: number;
  /** Lane names are `${lanePrefix}${index}`, one channel each; keep lanes ≤ 20 (snapshots carry the top 20 channels). */
  readonly lanePrefix: string;
  readonly maxLanes: number;
}

/** A batch the gateway confirmed: a snapshot includes it once that lane's channel count reaches laneCumulative. */
export interface PostedBatch {
  readonly lane: string;
  readonly laneCumulative: number;
  readonly scheduledAtMs: number;
  readonly sentAtMs: number;
  readonly respondedAtMs: number;
}

export interface PosterDone {
  readonly type: "done";
  readonly batches: PostedBatch[];
  readonly payments: number;
  readonly seconds: number;
  /** Sends that left more than lateThresholdMs after their scheduled time (every lane busy, or a blocked event loop). */
  readonly lateSends: number;
  readonly maxLateMs: number;
  readonly lanesUsed: number;
  readonly failures: number;
  readonly firstFailure: string | undefined;
}

const lateThresholdMs = 5;
let idSequence = 0;
const runId = `${process.pid}-${Date.now().toString(36)}`;

function body(cfg: PosterStart, lane: string): string {
  const occurredAt = new Date().toISOString();
  const events = Array.from({ length: cfg.batchSize }, () => ({
    paymentId: `e2e-${runId}-${++idSequence}`,
    amount: 10000,
    currency: "KRW",
    occurredAt,
    type: "payment",
    campaign: cfg.campaign,
    channel: lane,
  }));
  return JSON.stringify({ events });
}

function post(agent: Agent, url: URL, payload: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function run(cfg: PosterStart): Promise<PosterDone> {
  const url = new URL(cfg.url);
  const agent = new Agent({ keepAlive: true, maxSockets: cfg.maxLanes });
  const intervalMs = (cfg.batchSize / cfg.ratePerSec) * 1000;
  const lanes: { name: string; busy: boolean; cumulative: number }[] = [];
  const batches: PostedBatch[] = [];
  const backlog: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let lateSends = 0;
  let maxLateMs = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = epochMs();
  const end = started + cfg.durationMs;

  const freeLane = () => {
    const idle = lanes.find((l) => !l.busy);
    if (idle) return idle;
    if (lanes.length >= cfg.maxLanes) return undefined;
    const lane = { name: `${cfg.lanePrefix}${lanes.length}`, busy: false, cumulative: 0 };
    lanes.push(lane);
    return lane;
  };

  const send = (scheduledAtMs: number): boolean => {
    const lane = freeLane();
    if (!lane) return false;
    lane.busy = true;
    const sentAtMs = epochMs();
    const late = sentAtMs - scheduledAtMs;
    if (late > lateThresholdMs) lateSends++;
    maxLateMs = Math.max(maxLateMs, late);
    const job = post(agent, url, body(cfg, lane.name))
      .then(({ status, text }) => {
        const respondedAtMs = epochMs();
        const accepted = status === 200 ? (JSON.parse(text) as { accepted?: number }).accepted : undefined;
        if (accepted !== cfg.batchSize) throw new Error(`gateway answered ${status}: ${text.slice(0, 200)}`);
        lane.cumulative += cfg.batchSize;
        batches.push({ lane: lane.name, laneCumulative: lane.cumulative, scheduledAtMs, sentAtMs, respondedAtMs });
        lane.busy = false;
      })
      .catch((err: Error) => {
        // The lane's count is unknown now (the batch may or may not be counted): retire it.
        failures++;
        firstFailure ??= err.message;
      })
      .finally(() => {
        inFlight.delete(job);
        pump();
      });
    inFlight.add(job);
    return true;
  };

  let k = 0;
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    const now = epochMs();
    while (started + k * intervalMs <= now && started + k * intervalMs < end) backlog.push(started + k++ * intervalMs);
    while (backlog.length > 0 && send(backlog[0]!)) backlog.shift();
    if (timer === undefined && started + k * intervalMs < end) {
      timer = setTimeout(
        () => {
          timer = undefined;
          pump();
        },
        Math.max(0, started + k * intervalMs - epochMs()),
      );
    }
  };
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (started + k * intervalMs >= end && backlog.length === 0) {
        clearInterval(check);
        resolve();
      }
    }, 5);
    pump();
  });
  const seconds = (epochMs() - started) / 1000;
  await Promise.all([...inFlight]);
  agent.destroy();
  batches.sort((a, b) => a.respondedAtMs - b.respondedAtMs);
  return {
    type: "done",
    batches,
    payments: batches.length * cfg.batchSize,
    seconds,
    lateSends,
    maxLateMs: Math.round(maxLateMs * 100) / 100,
    lanesUsed: lanes.length,
    failures,
    firstFailure,
  };
}

process.on("message", (msg: PosterStart) => {
  if (msg.type !== "start") return;
  run(msg).then(
    (done) => process.send?.(done),
    (err: Error) => process.send?.({ type: "error", message: err.message }),
  );
});
process.send?.({ type: "ready" });
