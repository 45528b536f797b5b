// Worker thread for the e2e benchmark: raw WebSocket viewers (raw-ws.ts) that note when each snapshot seq arrived; at the
// end, matches the poster's confirmed batches to the first snapshot each viewer received whose totals include them.
import { parentPort, workerData } from "node:worker_threads";
import type { PostedBatch } from "../children/poster.js";
import {
  epochMs,
  fieldNeedle,
  RawViewerPool,
  type RawWsErrors,
  readIntField,
  type ViewersConnected,
  type ViewerThreadData,
} from "./raw-ws.js";

export type E2eWorkerData = ViewerThreadData;

export type ToE2eWorker = { type: "measure" } | { type: "stop"; batches: PostedBatch[] };
export type FromE2eWorker =
  | ViewersConnected
  | {
      type: "done";
      /** One sample per (viewer, batch): receive time of the first snapshot including the batch - its ingest response time. */
      latenciesMs: Float64Array;
      /** (viewer, batch) pairs whose batch no received snapshot included. */
      missing: number;
      /** Samples where the viewer had the snapshot before the poster had the ingest response (recorded as ~0). */
      beforeResponse: number;
      messages: number;
      disorder: number;
      errors: RawWsErrors;
    };

const data = workerData as E2eWorkerData;
const port = parentPort!;
const seqNeedle = fieldNeedle("seq");
/** Per viewer: seqs in arrival order (increasing) and when each arrived. */
const seqs: number[][] = Array.from({ length: data.viewers }, () => []);
const times: number[][] = Array.from({ length: data.viewers }, () => []);
/** Per-channel counts of each snapshot seq seen, parsed once per seq for the whole thread. */
const channelCounts = new Map<number, Record<string, { count: number }>>();
let measuring = false;
let messages = 0;
let disorder = 0;

function onText(viewer: number, buf: Buffer, start: number, end: number): void {
  const now = epochMs();
  const seq = readIntField(buf, start, end, seqNeedle);
  const mine = seqs[viewer]!;
  if (seq < 0 || (mine.length > 0 && seq <= mine[mine.length - 1]!)) {
    disorder++;
    return;
  }
  if (measuring) messages++;
  mine.push(seq);
  times[viewer]!.push(now);
  if (!channelCounts.has(seq)) {
    const snapshot = JSON.parse(buf.toString("utf8", start, end)) as { channels?: Record<string, { count: number }> };
    channelCounts.set(seq, snapshot.channels ?? {});
  }
}

/** First index in the increasing array a with a[i] ≥ x, or a.length. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function match(batches: readonly PostedBatch[]): FromE2eWorker {
  const known = [...channelCounts.keys()].sort((a, b) => a - b);
  // Counts only grow with seq, so the first seq whose lane count reaches the batch's cumulative count includes it.
  const firstSeq = batches.map((b) => {
    const i = known.findIndex((s) => (channelCounts.get(s)?.[b.lane]?.count ?? 0) >= b.laneCumulative);
    return i < 0 ? Number.POSITIVE_INFINITY : known[i]!;
  });
  const latencies: number[] = [];
  let missing = 0;
  let beforeResponse = 0;
  for (let v = 0; v < data.viewers; v++) {
    const mine = seqs[v]!;
    const at = times[v]!;
    if (mine.length === 0) continue; // never connected: counted as a failed connection
    batches.forEach((b, i) => {
      const k = lowerBound(mine, firstSeq[i]!);
      if (k >= mine.length) {
        missing++;
        return;
      }
      const ms = at[k]! - b.respondedAtMs;
      if (ms < 0) beforeResponse++;
      latencies.push(ms);
    });
  }
  return { type: "done", latenciesMs: Float64Array.from(latencies), missing, beforeResponse, messages, disorder, errors: pool.errors };
}

const pool = new RawViewerPool({ host: data.host, port: data.port, path: data.path, onText });
const { failed, firstError } = await pool.connectMany(data.viewers, data, 50);
port.postMessage({ type: "connected", failed, firstError } satisfies FromE2eWorker);
port.on("message", (msg: ToE2eWorker) => {
  if (msg.type === "measure") measuring = true;
  else {
    pool.close();
    const done = match(msg.batches);
    port.postMessage(done, done.type === "done" ? [done.latenciesMs.buffer as ArrayBuffer] : []);
  }
});
