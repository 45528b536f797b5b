// Milestones: thresholds every `step` minor units (e.g. 100억 KRW); which ones a total has reached.
import type { Milestone } from "../core/milestone.js";

export type { Milestone };

/** Thresholds passed to Redis per call; HSETNX makes repeating the lower ones harmless. */
export const maxMilestonesPerRecord = 1000;

/** Every threshold step, 2*step, ... at or below `total` (the highest ones when there are very many), ascending. */
export function crossedThresholds(total: bigint, step: bigint): bigint[] {
  if (step <= 0n || total < step) return [];
  const reached = total / step;
  const first = reached > BigInt(maxMilestonesPerRecord) ? reached - BigInt(maxMilestonesPerRecord) + 1n : 1n;
  const out: bigint[] = [];
  for (let k = first; k <= reached; k++) out.push(k * step);
  return out;
}
