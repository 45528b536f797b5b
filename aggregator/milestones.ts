// Milestones: thresholds every `step` minor units (e.g. 100억 KRW); which ones a snapshot has reached.
import type { Milestone } from "../core/milestone.js";
import type { Snapshot } from "../core/snapshot.js";

export type { Milestone };

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
