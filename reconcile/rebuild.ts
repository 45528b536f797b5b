// Rebuilds a campaign's counters from the payments export under a new epoch, so viewers and aggregators see a fresh history.
import type { Config } from "../core/config.js";
import { newEpochId, type Store } from "../core/store/index.js";
import { CounterWriter } from "../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";

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
  store: Store,
  config: Pick<Config, "campaign">,
  events: readonly PaymentEvent[],
  onProgress: (replayed: number) => void = () => undefined,
): Promise<RebuildResult> {
  const { campaign } = config;
  const previousEpoch = (await store.snapshots.readEpoch(campaign)).epoch ?? null;
  await store.snapshots.removeEpoch(campaign);
  const deletedKeys = await store.dedupeMarks.clearWithCounters(campaign);
  const writer = new CounterWriter(store.counters);
  let counted = 0;
  for (let i = 0; i < events.length; i += chunkSize) {
    const outcomes = await writer.write(events.slice(i, i + chunkSize));
    counted += outcomes.filter((o) => o === "counted").length;
    onProgress(Math.min(i + chunkSize, events.length));
  }
  const epoch = newEpochId();
  await store.snapshots.writeRebuiltEpoch(campaign, epoch);
  return { epoch, previousEpoch, counted, deletedKeys };
}
