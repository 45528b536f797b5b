// The drill's viewers, connected through HAProxy as shoppers are: WebSocket, SSE and ETag polling mixed. Each keeps
// what a viewer saw (every accepted snapshot with its arrival time) and its outages, to judge freezes and reconnects.
import WebSocket from "ws";
import { sleep } from "../../core/timeout.js";

export type Transport = "ws" | "sse" | "poll";

export interface Seen {
  readonly atMs: number;
  readonly epoch: string;
  readonly seq: number;
  readonly total: bigint;
  readonly refunded: bigint;
  readonly degraded: boolean;
}

export interface Outage {
  readonly lostAtMs: number;
  backAtMs: number | undefined;
}

interface WireSnapshot {
  epoch: string;
  seq: number;
  total: string;
  refunded?: string;
  degraded?: boolean;
}

export class DrillViewer {
  readonly seen: Seen[] = [];
  readonly outages: Outage[] = [];
  /**
   * When a snapshot with a lower seq than one already accepted arrived, in the same epoch. The viewer drops it, as
   * the page does (a poll that HAProxy sends to a broadcaster a publish behind, a reconnect to one): never accepted.
   */
  readonly lowerSeqDeliveredAtMs: number[] = [];
  private stopped = false;
  private ws: WebSocket | undefined;
  private abort = new AbortController();

  constructor(
    readonly id: number,
    readonly transport: Transport,
    private readonly baseUrl: string,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.ws?.terminate();
  }

  private offer(json: string): void {
    let s: WireSnapshot;
    try {
      s = JSON.parse(json) as WireSnapshot;
    } catch {
      return;
    }
    if (typeof s.seq !== "number" || typeof s.total !== "string") return;
    const last = this.seen.at(-1);
    if (last && last.epoch === s.epoch && s.seq <= last.seq) {
      if (s.seq < last.seq) this.lowerSeqDeliveredAtMs.push(Date.now());
      return;
    }
    const outage = this.outages.at(-1);
    if (outage && outage.backAtMs === undefined) outage.backAtMs = Date.now();
    this.seen.push({
      atMs: Date.now(),
      epoch: s.epoch,
      seq: s.seq,
      total: BigInt(s.total),
      refunded: BigInt(s.refunded ?? "0"),
      degraded: s.degraded === true,
    });
  }

  private lost(): void {
    const outage = this.outages.at(-1);
    if (outage === undefined || outage.backAtMs !== undefined) this.outages.push({ lostAtMs: Date.now(), backAtMs: undefined });
  }

  /** Reconnect with exponential backoff and full jitter, as the page's client does (capped lower for a drill). */
  private async backoff(attempt: number): Promise<void> {
    await sleep(Math.random() * Math.min(4000, 250 * 2 ** attempt));
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const delivered =
        this.transport === "ws" ? await this.runWs() : this.transport === "sse" ? await this.runSse() : await this.runPoll();
      if (this.stopped) return;
      this.lost();
      attempt = delivered ? 0 : attempt + 1;
      await this.backoff(attempt);
    }
  }

  /** Resolves when the socket closes; true if it delivered anything. */
  private runWs(): Promise<boolean> {
    return new Promise((resolve) => {
      let delivered = false;
      const ws = new WebSocket(`${this.baseUrl.replace("http", "ws")}/v1/live?view=counter`, { handshakeTimeout: 3000 });
      this.ws = ws;
      ws.on("message", (data) => {
        delivered = true;
        this.offer(String(data));
      });
      ws.on("error", () => undefined);
      ws.on("close", () => resolve(delivered));
    });
  }

  private async runSse(): Promise<boolean> {
    let delivered = false;
    try {
      const res = await fetch(`${this.baseUrl}/v1/stream?view=counter`, { signal: this.abort.signal });
      if (res.status !== 200 || !res.body) return false;
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split("\n")) if (line.startsWith("data: ")) this.offer(line.slice(6));
          delivered = true;
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // the stream broke: reconnect
    }
    return delivered;
  }

  /** Polls every 500 ms with If-None-Match; returns after a run of failures (an outage). */
  private async runPoll(): Promise<boolean> {
    let etag = "";
    let delivered = false;
    while (!this.stopped) {
      try {
        const res = await fetch(`${this.baseUrl}/v1/total?view=counter`, {
          headers: etag ? { "if-none-match": etag } : {},
          signal: AbortSignal.timeout(2000),
        });
        if (res.status === 200) {
          etag = res.headers.get("etag") ?? "";
          this.offer(await res.text());
          delivered = true;
        } else if (res.status !== 304) {
          await res.body?.cancel();
          return delivered;
        }
      } catch {
        return delivered;
      }
      await sleep(500);
    }
    return delivered;
  }
}

export interface ViewerMix {
  readonly ws: number;
  readonly sse: number;
  readonly poll: number;
}

export function startViewers(baseUrl: string, mix: ViewerMix): DrillViewer[] {
  const viewers: DrillViewer[] = [];
  let id = 0;
  for (const [transport, n] of [
    ["ws", mix.ws],
    ["sse", mix.sse],
    ["poll", mix.poll],
  ] as const)
    for (let i = 0; i < n; i++) viewers.push(new DrillViewer(id++, transport, baseUrl));
  for (const v of viewers) v.start();
  return viewers;
}
