// Rebuilds a campaign's counters from the payments export under a new epoch, so viewers and aggregators see a fresh history.
import { newEpochId } from "../aggregator/epoch.js";
import { rebuiltEpochField } from "../aggregator/state-loss.js";
import type { Config } from "../core/config.js";
import { campaignKeys } from "../core/keys.js";
import type { RedisClient } from "../core/redis.js";
import { CounterWriter } from "../ingest/counter-writer.js";
import type { PaymentEvent } from "../ingest/payment-event.js";
import { clearCounters } from "./seen-marks.js";

export interface RebuildResult {
  readonly epoch: string;
  readonly previousEpoch: string | null;
  readonly counted: number;
  readonly deletedKeys: number;
}

const chunkSize = 1000;

/**
 * 1. Removes the epoch, so the leading aggregator stops publishing (the publish script refuses) during the rebuild.
 * 2. Deletes the shard counters and dedupe marks. 3. Replays every export event through the counting script.
 * 4. Writes a new epoch: the aggregator adopts it and publishes again; viewers accept its seq as a new history.
 * Events ingested while it runs and missing from the export are lost: pause ingest or export after it stopped.
 */
export async function rebuildCounters(
  redis: RedisClient,
  config: Pick<Config, "campaign" | "shards" | "dedupeTtlSeconds">,
  events: readonly PaymentEvent[],
  onProgress: (replayed: number) => void = () => undefined,
): Promise<RebuildResult> {
  const keys = campaignKeys(config.campaign, config.shards);
  const previousEpoch = await redis.hget(keys.meta, "epoch");
  await redis.hdel(keys.meta, "epoch");
  const deletedKeys = await clearCounters(redis, config.campaign, config.shards);
  const writer = new CounterWriter(redis, { shards: config.shards, dedupeTtlSeconds: config.dedupeTtlSeconds });
  let counted = 0;
  for (let i = 0; i < events.length; i += chunkSize) {
    const outcomes = await writer.write(events.slice(i, i + chunkSize));
    counted += outcomes.filter((o) => o === "counted").length;
    onProgress(Math.min(i + chunkSize, events.length));
  }
  const epoch = newEpochId();
  await redis.hset(keys.meta, "epoch", epoch, rebuiltEpochField, epoch);
  return { epoch, previousEpoch, counted, deletedKeys };
}
