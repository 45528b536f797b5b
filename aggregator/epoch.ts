// Campaign epoch: created once by whichever aggregator starts first (HSETNX), then read by every aggregator.
import { randomBytes } from "node:crypto";
import type { RedisClient } from "../core/redis.js";
import { EpochUnavailableError } from "./errors.js";

/** Sortable and readable in logs: fold time plus a random suffix, so two aggregators starting together differ. */
export function newEpochId(now: Date = new Date()): string {
  return `${now.toISOString()}-${randomBytes(4).toString("hex")}`;
}

/** Creates the epoch if the campaign has none and returns the one in Redis (ours or an earlier one). */
export async function ensureEpoch(redis: RedisClient, metaKey: string): Promise<string> {
  try {
    // Issued together: one round trip thanks to auto-pipelining, and HGET runs after HSETNX on the same connection.
    const [, epoch] = await Promise.all([redis.hsetnx(metaKey, "epoch", newEpochId()), redis.hget(metaKey, "epoch")]);
    if (epoch === null) throw new Error(`${metaKey} has no epoch right after HSETNX`);
    return epoch;
  } catch (err) {
    throw new EpochUnavailableError(err);
  }
}
