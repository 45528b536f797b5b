// WebSocket viewers for the e2e benchmark: each records when it first sees a total that includes each posted batch.
import WebSocket from "ws";
import { LatencyRecorder, nowMs } from "./histogram.js";

/** A batch the gateway confirmed: every snapshot with count - base ≥ cumulative includes it. */
export interface ConfirmedBatch {
  readonly cumulative: number;
  readonly respondedAtMs: number;
}

export class ViewerPool {
  readonly latency = new LatencyRecorder();
  private readonly sockets: WebSocket[] = [];
  private readonly nextIndex: number[] = [];
  messages = 0;

  constructor(
    private readonly batches: readonly ConfirmedBatch[],
    private readonly baseCount: number,
  ) {}

  /** Opens n sockets, a few at a time, and resolves when each has had its first snapshot. */
  async connect(url: string, n: number, concurrency = 50): Promise<void> {
    let opened = 0;
    const openOne = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const index = this.sockets.length;
        this.sockets.push(ws);
        this.nextIndex.push(0);
        ws.once("error", reject);
        ws.once("message", () => resolve());
        ws.on("message", (data) => this.onMessage(index, String(data)));
      });
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        while (opened < n) {
          opened++;
          await openOne();
        }
      }),
    );
  }

  private onMessage(index: number, text: string): void {
    this.messages++;
    const count = (JSON.parse(text) as { count?: number }).count ?? 0;
    const now = nowMs();
    let next = this.nextIndex[index] ?? 0;
    for (;;) {
      const batch = this.batches[next];
      if (batch === undefined || batch.cumulative > count - this.baseCount) break;
      this.latency.recordMs(now - batch.respondedAtMs);
      next++;
    }
    this.nextIndex[index] = next;
  }

  /** (viewer, batch) pairs still not seen. */
  missing(): number {
    return this.nextIndex.reduce((sum, seen) => sum + (this.batches.length - seen), 0);
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
