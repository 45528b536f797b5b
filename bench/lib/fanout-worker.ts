// Worker thread for the fanout benchmark: holds a share of the viewers and records publish→receive latency from each snapshot's `at`.
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";

export interface FanoutWorkerData {
  readonly url: string;
  readonly viewers: number;
  /** Viewers connect from 127.0.0.<first + i % addresses>, so many sockets do not share one source address. */
  readonly firstAddress: number;
  readonly addresses: number;
}

export type ToWorker = { type: "measure"; afterSeq: number } | { type: "stop" };
export type FromWorker = { type: "connected"; failed: number } | { type: "done"; latenciesMs: Float64Array; messages: number };

const data = workerData as FanoutWorkerData;
const port = parentPort!;
const sockets: WebSocket[] = [];
let afterSeq = Number.POSITIVE_INFINITY;
let messages = 0;
const latencies: number[] = [];

function onMessage(raw: WebSocket.RawData): void {
  const text = String(raw);
  const now = Date.now();
  // Only seq and at are needed: cheaper than parsing the whole snapshot on 10k sockets.
  const seq = Number(/"seq":(\d+)/.exec(text)?.[1] ?? -1);
  if (seq <= afterSeq) return;
  messages++;
  const at = /"at":"([^"]+)"/.exec(text)?.[1];
  if (at !== undefined) latencies.push(now - Date.parse(at));
}

let failed = 0;
const connectOne = (i: number) =>
  new Promise<void>((resolve) => {
    const localAddress = `127.0.0.${data.firstAddress + (i % data.addresses)}`;
    const ws = new WebSocket(data.url, { localAddress, perMessageDeflate: false, handshakeTimeout: 10_000 });
    sockets.push(ws);
    ws.on("message", onMessage);
    ws.once("open", () => resolve());
    ws.once("error", () => {
      failed++;
      resolve();
    });
  });
for (let i = 0; i < data.viewers; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, data.viewers - i) }, (_, k) => connectOne(i + k)));
}
port.postMessage({ type: "connected", failed } satisfies FromWorker);
port.on("message", (msg: ToWorker) => {
  if (msg.type === "measure") afterSeq = msg.afterSeq;
  else {
    for (const ws of sockets) ws.terminate();
    const latenciesMs = Float64Array.from(latencies);
    port.postMessage({ type: "done", latenciesMs, messages } satisfies FromWorker, [latenciesMs.buffer]);
  }
});
