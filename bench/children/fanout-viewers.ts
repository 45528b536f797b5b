// Load-generator process for the fanout benchmark: holds up to ~19,000 raw WebSocket viewers (each process may hold
// 20,000 open files), speaks plain WebSocket or Socket.IO's Engine.IO framing over it, and records publish→receive
// latency from each frame's `at` (set to the publish time by the benchmark). Driven by its parent over IPC.
import { epochMs, fieldNeedle, RawViewerPool, type RawWsErrors, readIntField, readIsoField } from "../lib/raw-ws.js";

export type ViewerProtocol = "ws" | "socketio";

export type ToViewers =
  | {
      type: "connect";
      tag: string;
      host: string;
      port: number;
      path: string;
      count: number;
      protocol: ViewerProtocol;
      firstAddress: number;
      addresses: number;
    }
  | { type: "measure"; afterSeq: number }
  | { type: "end"; lastSeq: number }
  | { type: "report" }
  | { type: "close"; tag: string };

export interface TagFigures {
  readonly viewers: number;
  readonly messages: number;
  readonly bytes: number;
}

export type FromViewers =
  | { type: "connected"; tag: string; failed: number; firstError: string | undefined }
  | {
      type: "report";
      latenciesMs: Float64Array;
      tags: Record<string, TagFigures>;
      /** Frames whose seq went down, or without seq / at. */
      disorder: number;
      errors: RawWsErrors;
    };

interface Tagged {
  readonly pool: RawViewerPool;
  lastSeq: Float64Array;
  viewers: number;
  messages: number;
  bytesAtMeasure: number;
  /** Bytes read in the window, fixed when it ends. */
  bytesInWindow: number | undefined;
}

const seqNeedle = fieldNeedle("seq");
const atNeedle = fieldNeedle("at");
const send = (msg: FromViewers) => process.send?.(msg);
const tags = new Map<string, Tagged>();
let afterSeq = Number.POSITIVE_INFINITY;
let lastSeq = Number.POSITIVE_INFINITY;
let latencies = new Float64Array(1 << 16);
let samples = 0;
let disorder = 0;

function record(ms: number): void {
  if (samples === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[samples++] = ms;
}

function onFrame(t: Tagged, viewer: number, buf: Buffer, start: number, end: number, now: number): void {
  const seq = readIntField(buf, start, end, seqNeedle);
  const last = t.lastSeq[viewer]!;
  if (seq <= last) {
    // The same frame again (a catch-up after backpressure) is harmless; a lower seq is not.
    if (seq < last) disorder++;
    return;
  }
  t.lastSeq[viewer] = seq;
  if (seq <= afterSeq || seq > lastSeq) return;
  t.messages++;
  const published = readIsoField(buf, start, end, atNeedle);
  if (Number.isNaN(published)) disorder++;
  else record(now - published);
}

function connect(cmd: Extract<ToViewers, { type: "connect" }>): Promise<void> {
  const socketio = cmd.protocol === "socketio";
  const t: Tagged = {
    pool: new RawViewerPool({
      host: cmd.host,
      port: cmd.port,
      path: cmd.path,
      onText: (viewer, buf, start, end) => {
        const now = epochMs();
        if (!socketio) return onFrame(t, viewer, buf, start, end, now);
        // Engine.IO v4 over WebSocket: "0{..}" open → we join the default namespace with "40"; "2" ping → "3" pong;
        // "42[...]" an event. Socket.IO events carry our JSON object, so seq and at are read the same way.
        const kind = buf[start];
        if (kind === 52 && buf[start + 1] === 50) onFrame(t, viewer, buf, start, end, now);
        else if (kind === 50) t.pool.sendText(viewer, "3");
        else if (kind === 48) t.pool.sendText(viewer, "40");
      },
    }),
    lastSeq: new Float64Array(cmd.count).fill(-1),
    viewers: cmd.count,
    messages: 0,
    bytesAtMeasure: 0,
    bytesInWindow: undefined,
  };
  tags.set(cmd.tag, t);
  return t.pool.connectMany(cmd.count, cmd, 64).then(({ failed, firstError }) => {
    send({ type: "connected", tag: cmd.tag, failed, firstError });
  });
}

process.on("message", (msg: ToViewers) => {
  if (msg.type === "connect") void connect(msg);
  else if (msg.type === "measure") {
    afterSeq = msg.afterSeq;
    lastSeq = Number.POSITIVE_INFINITY;
    samples = 0;
    disorder = 0;
    for (const t of tags.values()) {
      t.messages = 0;
      t.bytesAtMeasure = t.pool.bytesReceived;
      t.bytesInWindow = undefined;
    }
  } else if (msg.type === "end") {
    lastSeq = msg.lastSeq;
    for (const t of tags.values()) t.bytesInWindow = t.pool.bytesReceived - t.bytesAtMeasure;
  } else if (msg.type === "report") {
    const errors: RawWsErrors = { handshake: 0, badFrames: 0, closed: 0, socketErrors: 0 };
    const figures: Record<string, TagFigures> = {};
    for (const [tag, t] of tags) {
      for (const k of Object.keys(errors) as (keyof RawWsErrors)[]) errors[k] += t.pool.errors[k];
      figures[tag] = { viewers: t.viewers, messages: t.messages, bytes: t.bytesInWindow ?? t.pool.bytesReceived - t.bytesAtMeasure };
    }
    send({ type: "report", latenciesMs: latencies.slice(0, samples), tags: figures, disorder, errors });
  } else if (msg.type === "close") {
    tags.get(msg.tag)?.pool.close();
    tags.delete(msg.tag);
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "connected", tag: "", failed: 0, firstError: undefined });
