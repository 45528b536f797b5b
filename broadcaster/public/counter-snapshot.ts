// What the counter needs of a snapshot (the counter view's fields), parsing a frame, and which of two is newer.
import type { Snapshot } from "../../core/snapshot.js";

export type CounterSnapshot = Pick<Snapshot, "campaign" | "epoch" | "seq" | "at" | "currency" | "total" | "count">;

/** A frame's JSON as a snapshot, or undefined when it is not one (a keepalive, an error body, garbage). */
export function parseFrame<T extends CounterSnapshot = CounterSnapshot>(text: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const s = value as Partial<CounterSnapshot>;
  if (typeof s.total !== "string" || !/^-?\d+$/.test(s.total) || typeof s.seq !== "number" || typeof s.epoch !== "string") return undefined;
  return value as T;
}

/**
 * Orders snapshots for one viewer. A lower or equal seq in the same epoch is a late or repeated delivery; an epoch
 * this viewer has already left is older than the current one (epochs are replaced, never revisited), so its late
 * snapshots are dropped too.
 */
export class SnapshotOrder<T extends CounterSnapshot = CounterSnapshot> {
  latest: T | undefined;
  private readonly retiredEpochs = new Set<string>();

  /** True when `next` is newer than everything seen, and records it as the latest. */
  accept(next: T): boolean {
    const current = this.latest;
    if (this.retiredEpochs.has(next.epoch)) return false;
    if (current && current.epoch === next.epoch && next.seq <= current.seq) return false;
    if (current && current.epoch !== next.epoch) this.retiredEpochs.add(current.epoch);
    this.latest = next;
    return true;
  }
}
