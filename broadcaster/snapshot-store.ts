// Latest snapshot per campaign, serialized once: the same bytes go to every socket and every GET.
import { parseSnapshot, type Snapshot, supersedes } from "../core/snapshot.js";
import { BadSnapshotError } from "./errors.js";

export interface SnapshotEntry {
  readonly snapshot: Snapshot;
  /** UTF-8 JSON in its own ArrayBuffer (not a pooled Buffer slice), handed to uWS as is. */
  readonly bytes: Uint8Array;
  /** Quoted strong ETag: "<epoch>-<seq>". */
  readonly etag: string;
  /** When this broadcaster received it (Date.now()), for readiness: a stale pipeline shows here. */
  readonly receivedAtMs: number;
}

export type SnapshotListener = (entry: SnapshotEntry) => void;

const encoder = new TextEncoder();

/** An ETag may not hold quotes, spaces or control characters; epochs we create never do, others get escaped. */
export function etagOf(snapshot: Pick<Snapshot, "epoch" | "seq">): string {
  const epoch = /^[\x21\x23-\x7e]+$/.test(snapshot.epoch) ? snapshot.epoch : encodeURIComponent(snapshot.epoch);
  return `"${epoch}-${snapshot.seq}"`;
}

export class SnapshotStore {
  private readonly latest = new Map<string, SnapshotEntry>();
  private readonly listeners = new Set<SnapshotListener>();

  get(campaign: string): SnapshotEntry | undefined {
    return this.latest.get(campaign);
  }

  campaigns(): string[] {
    return [...this.latest.keys()];
  }

  /**
   * Offers snapshot JSON (from pub/sub or GET latest). Keeps it and tells listeners only if it supersedes
   * what we have: a lower or equal seq in the same epoch is a late or repeated delivery and is ignored.
   * Throws BadSnapshotError for JSON that is not a snapshot of `campaign`.
   */
  offer(campaign: string, json: string, nowMs = Date.now()): SnapshotEntry | undefined {
    let snapshot: Snapshot;
    try {
      snapshot = parseSnapshot(json);
    } catch (err) {
      throw new BadSnapshotError(`dropped a malformed snapshot for ${campaign}`, err);
    }
    if (snapshot.campaign !== campaign) throw new BadSnapshotError(`dropped a snapshot of ${snapshot.campaign} sent for ${campaign}`);
    if (!supersedes(snapshot, this.latest.get(campaign)?.snapshot)) return undefined;
    const entry: SnapshotEntry = { snapshot, bytes: encoder.encode(json), etag: etagOf(snapshot), receivedAtMs: nowMs };
    this.latest.set(campaign, entry);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** Calls `listener` with every new latest snapshot; returns the unsubscribe function. */
  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
