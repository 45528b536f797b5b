// Worker thread for the fanout benchmark: holds a share of the viewers (raw WebSocket clients, see raw-ws.ts) and records
// publish→receive latency from each snapshot's `publishedAtMs` (epoch ms, sub-millisecond, set by the publisher).
import { parentPort, workerData } from "node:worker_threads";
import {
  epochMs,
  fieldNeedle,
  RawViewerPool,
  type RawWsErrors,
  readIntField,
  readNumberField,
  type ViewersConnected,
  type ViewerThreadData,
} from "./raw-ws.js";

export type FanoutWorkerData = ViewerThreadData;

export type ToWorker = { type: "measure"; afterSeq: number } | { type: "stop" };
export type FromWorker =
  | ViewersConnected
  | {
      type: "done";
      latenciesMs: Float64Array;
      messages: number;
      /** Snapshots a viewer never got because a later one superseded it (slow viewer), within the measured phase. */
      skipped: number;
      /** Messages with a seq not above the viewer's previous one, or without seq / publishedAtMs. */
      disorder: number;
      errors: RawWsErrors;
      /** Per snapshot seq: the earliest and the latest latency among this thread's viewers. */
      spread: Record<number, [number, number]>;
    };

const data = workerData as FanoutWorkerData;
const port = parentPort!;
const seqNeedle = fieldNeedle("seq");
const publishedNeedle = fieldNeedle("publishedAtMs");
const lastSeq = new Float64Array(data.viewers).fill(-1);
let afterSeq = Number.POSITIVE_INFINITY;
let messages = 0;
let skipped = 0;
let disorder = 0;
let latencies = new Float64Array(1 << 16);
const spread: Record<number, [number, number]> = {};

function record(ms: number): void {
  if (messages === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[messages++] = ms;
}

function onText(viewer: number, buf: Buffer, start: number, end: number): void {
  const now = epochMs();
  const seq = readIntField(buf, start, end, seqNeedle);
  const last = lastSeq[viewer]!;
  if (seq <= last) {
    disorder++;
    return;
  }
  lastSeq[viewer] = seq;
  if (seq <= afterSeq) return;
  if (last > afterSeq && seq > last + 1) skipped += seq - last - 1;
  const published = readNumberField(buf, start, end, publishedNeedle);
  if (Number.isNaN(published)) disorder++;
  else {
    const ms = now - published;
    record(ms);
    const range = spread[seq];
    if (range === undefined) spread[seq] = [ms, ms];
    else {
      if (ms < range[0]) range[0] = ms;
      if (ms > range[1]) range[1] = ms;
    }
  }
}

const pool = new RawViewerPool({ host: data.host, port: data.port, path: data.path, onText });
const { failed, firstError } = await pool.connectMany(data.viewers, data, 100);
port.postMessage({ type: "connected", failed, firstError } satisfies FromWorker);
port.on("message", (msg: ToWorker) => {
  if (msg.type === "measure") afterSeq = msg.afterSeq;
  else {
    pool.close();
    const latenciesMs = latencies.slice(0, messages);
    port.postMessage({ type: "done", latenciesMs, messages, skipped, disorder, errors: pool.errors, spread } satisfies FromWorker, [
      latenciesMs.buffer,
    ]);
  }
});
