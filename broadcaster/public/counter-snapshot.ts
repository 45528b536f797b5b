// What the counter needs of a snapshot (the counter view's fields), parsing a frame, and which of two is newer.
import { type Snapshot, supersedes } from "../../core/snapshot.js";

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
 * Orders snapshots for one viewer by the rule broadcasters use (core/snapshot.ts supersedes): a lower or equal seq in
 * the same epoch is a late or repeated delivery, and epochs are ordered, so a snapshot of an earlier epoch (from before
 * a rebuild) is dropped even when the viewer never saw that epoch.
 */
export class SnapshotOrder<T extends CounterSnapshot = CounterSnapshot> {
  latest: T | undefined;

  /** True when `next` is newer than everything seen, and records it as the latest. */
  accept(next: T): boolean {
    if (!supersedes(next, this.latest)) return false;
    this.latest = next;
    return true;
  }
}
