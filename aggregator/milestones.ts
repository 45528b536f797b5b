// Milestones: thresholds every `step` minor units (e.g. 100억 KRW); which ones a snapshot has reached.
import type { Snapshot } from "../core/snapshot.js";

export interface Milestone {
  /** Threshold in minor units, decimal string. */
  readonly threshold: string;
  /** The snapshot that first showed the total at or above it. */
  readonly total: string;
  readonly count: number;
  readonly at: string;
  readonly seq: number;
}

/** Thresholds passed to Redis per call; HSETNX makes repeating the lower ones harmless. */
export const maxMilestonesPerRecord = 1000;

/** Every threshold step, 2*step, ... at or below the snapshot's total (the highest ones when there are very many). */
export function crossedMilestones(snapshot: Pick<Snapshot, "total" | "count" | "at" | "seq">, step: bigint): Milestone[] {
  if (step <= 0n) return [];
  const reached = BigInt(snapshot.total) / step;
  const first = reached > BigInt(maxMilestonesPerRecord) ? reached - BigInt(maxMilestonesPerRecord) + 1n : 1n;
  const out: Milestone[] = [];
  for (let k = first; k <= reached; k++) {
    out.push({ threshold: (k * step).toString(), total: snapshot.total, count: snapshot.count, at: snapshot.at, seq: snapshot.seq });
  }
  return out;
}

/** Parses the milestones hash (threshold -> JSON), sorted by threshold. */
export function parseMilestones(hash: Readonly<Record<string, string>>): Milestone[] {
  const out: Milestone[] = [];
  for (const json of Object.values(hash)) {
    try {
      out.push(JSON.parse(json) as Milestone);
    } catch {
      // A hand-edited field: skip it rather than break the dashboard.
    }
  }
  return out.sort((a, b) => (BigInt(a.threshold) < BigInt(b.threshold) ? -1 : 1));
}
