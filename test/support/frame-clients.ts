// Raw frame collectors for the live transports: a `ws` socket and an SSE stream (fetch), each keeping every frame's exact text.
import WebSocket from "ws";

export interface Frames {
  /** Every frame as received: the WebSocket message or the SSE event's data line. */
  readonly texts: string[];
  /** Receive times (Date.now()) of texts, same order. */
  readonly times: number[];
  close(): Promise<void>;
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until at least n frames arrived; resolves with the nth. */
export function nthFrame(frames: Frames, n: number, timeoutMs = 3000): Promise<string> {
  return until(() => frames.texts[n - 1], `frame ${n}`, timeoutMs);
}

/** Opens a WebSocket and resolves once it is open; rejects with the HTTP status of a refused upgrade. */
export function openWs(url: string, headers: Record<string, string> = {}): Promise<Frames> {
  const texts: string[] = [];
  const times: number[] = [];
  const socket = new WebSocket(url, { headers });
  socket.on("message", (data) => {
    texts.push(String(data));
    times.push(Date.now());
  });
  return new Promise((resolve, reject) => {
    socket.once("open", () =>
      resolve({
        texts,
        times,
        close: async () => {
          if (socket.readyState === WebSocket.CLOSED) return;
          const closed = new Promise((r) => socket.once("close", r));
          socket.close();
          await closed;
        },
      }),
    );
    socket.once("unexpected-response", (_req, res) => reject(new UpgradeRefused(res.statusCode ?? 0)));
    socket.once("error", (err) => reject(err));
  });
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}

/** The HTTP status a WebSocket upgrade gets: 101 when it opens (closed again at once). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const frames = await openWs(url, headers);
    await frames.close();
    return 101;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}

/** Opens an SSE stream (text/event-stream over fetch) and collects each event's data; rejects with the status if not 200. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<Frames> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new UpgradeRefused(res.status);
  }
  const texts: string[] = [];
  const times: number[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffered += value;
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of event.split("\n"))
          if (line.startsWith("data: ")) {
            texts.push(line.slice(6));
            times.push(Date.now());
          }
      }
    }
  })();
  return {
    texts,
    times,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

/** The status of an SSE request, the stream closed at once. */
export async function sseStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const frames = await openSse(url, headers);
    await frames.close();
    return 200;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}
