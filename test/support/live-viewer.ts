// A WebSocket viewer for fault tests: collects snapshots, checks seq never goes backwards within an epoch, waits for a total.
import WebSocket from "ws";
import type { Snapshot } from "../../core/snapshot.js";

export class LiveViewer {
  readonly snapshots: Snapshot[] = [];
  /** Snapshots whose seq was lower than the one before, in the same epoch (must stay empty). */
  readonly regressions: Array<{ before: number; after: number }> = [];
  private readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
    this.socket.on("message", (data) => {
      const snapshot = JSON.parse(String(data)) as Snapshot;
      const last = this.snapshots.at(-1);
      if (last && last.epoch === snapshot.epoch && snapshot.seq < last.seq)
        this.regressions.push({ before: last.seq, after: snapshot.seq });
      this.snapshots.push(snapshot);
    });
  }

  latest(): Snapshot | undefined {
    return this.snapshots.at(-1);
  }

  /** Resolves with the first snapshot (already received or future) that satisfies the predicate. */
  async waitFor(predicate: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.snapshots.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching snapshot within ${timeoutMs} ms (latest ${JSON.stringify(this.latest())})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls until probe returns something other than undefined. */
export async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
