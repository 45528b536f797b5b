// What a viewer sees: the full snapshot or the compact counter view, each serialized once per snapshot and shared by every socket, stream and GET.
import type { Snapshot } from "../core/snapshot.js";
import type { SnapshotEntry } from "./snapshot-store.js";

/** full: the snapshot as published (breakdowns included); counter: only what the public counter shows. */
export const viewNames = ["full", "counter"] as const;
export type ViewName = (typeof viewNames)[number];

/** The fields of the counter view, in this order; same names and meanings as the snapshot. */
export const counterFields = ["campaign", "epoch", "seq", "at", "currency", "total", "count"] as const;

export interface ViewEntry {
  readonly view: ViewName;
  readonly snapshot: Snapshot;
  /** UTF-8 JSON in its own ArrayBuffer, handed to uWS as is. */
  readonly bytes: Uint8Array;
  /** Quoted strong ETag, distinct per view: a 304 for one view never answers a request for the other. */
  readonly etag: string;
}

const encoder = new TextEncoder();

/** The counter view's JSON: a handful of fields, whatever the number of channels and categories. */
export function counterJson(snapshot: Snapshot): string {
  const { campaign, epoch, seq, at, currency, total, count } = snapshot;
  return JSON.stringify({ campaign, epoch, seq, at, currency, total, count });
}

/** One ViewEntry per (snapshot entry, view), built on first use and dropped with the entry. */
const cache = new WeakMap<SnapshotEntry, Partial<Record<ViewName, ViewEntry>>>();

export function viewOf(entry: SnapshotEntry, view: ViewName): ViewEntry {
  let views = cache.get(entry);
  if (views === undefined) {
    views = {};
    cache.set(entry, views);
  }
  let built = views[view];
  if (built === undefined) {
    built =
      view === "full"
        ? { view, snapshot: entry.snapshot, bytes: entry.bytes, etag: entry.etag }
        : {
            view,
            snapshot: entry.snapshot,
            bytes: encoder.encode(counterJson(entry.snapshot)),
            etag: `${entry.etag.slice(0, -1)}-counter"`,
          };
    views[view] = built;
  }
  return built;
}
