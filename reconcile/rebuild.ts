// Rebuilds a campaign's counters from the payments export under a new epoch, so viewers and aggregators see a fresh history.
import type { Config } from "../core/config.js";
import { compareEpochs } from "../core/snapshot.js";
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
 * 1. Marks the campaign as rebuilding: the current epoch stays (so nothing treats the campaign as new or lost), and the
 *    aggregator republishes the last good snapshot, marked degraded, instead of a partial replay.
 * 2. Deletes the shard counters and dedupe marks. 3. Replays every export event through the counting script.
 * 4. Makes a new epoch current, ordered after the old one, with a fresh mark: the aggregator adopts it and publishes
 *    the exact total; viewers accept its seq as a new history. A rebuild that dies midway leaves the campaign in its old
 *    epoch, degraded; running it again starts over.
 * Events ingested while it runs and missing from the export are lost: pause ingest or export after it stopped.
 */
export async function rebuildCounters(
  store: Store,
  config: Pick<Config, "campaign">,
  events: readonly PaymentEvent[],
  onProgress: (replayed: number) => void = () => undefined,
): Promise<RebuildResult> {
  const { campaign } = config;
  const state = await store.snapshots.readState(campaign);
  const previousEpoch = state.epoch ?? null;
  // After the current epoch, and after a dead rebuild's, so every viewer orders the new history last.
  const after = [state.epoch, state.rebuilding]
    .filter((e): e is string => e !== undefined)
    .sort(compareEpochs)
    .at(-1);
  const epoch = newEpochId(new Date(), after);
  await store.snapshots.beginRebuild(campaign, epoch);
  const deletedKeys = await store.dedupeMarks.clearWithCounters(campaign);
  const writer = new CounterWriter(store.counters);
  let counted = 0;
  for (let i = 0; i < events.length; i += chunkSize) {
    const outcomes = await writer.write(events.slice(i, i + chunkSize));
    counted += outcomes.filter((o) => o === "counted").length;
    onProgress(Math.min(i + chunkSize, events.length));
  }
  await store.snapshots.finishRebuild(campaign, epoch);
  return { epoch, previousEpoch, counted, deletedKeys };
}

export type StartCampaignResult =
  | { readonly outcome: "started" | "already-started"; readonly epoch: string }
  | { readonly outcome: "refused"; readonly reason: string };

/**
 * `--start-campaign`: the one explicit way a campaign gets its first epoch in production. Refused when counters exist
 * without an epoch: that is what Redis looks like after it lost the epoch, and only a rebuild from the export is safe.
 */
export async function startCampaign(store: Store, config: Pick<Config, "campaign">): Promise<StartCampaignResult> {
  const { campaign } = config;
  const state = await store.snapshots.readState(campaign);
  if (state.epoch !== undefined) return { outcome: "already-started", epoch: state.epoch };
  const totals = await store.totals.read(campaign);
  if (totals.count > 0n || totals.refunds > 0n)
    return {
      outcome: "refused",
      reason: `campaign ${campaign} has no epoch but its counters hold ${totals.count} payments: state was lost or ingest ran before the start. Rebuild it from the export (--file <export> --rebuild).`,
    };
  const started = await store.snapshots.startCampaign(campaign);
  if (started.epoch === undefined)
    return {
      outcome: "refused",
      reason: `campaign ${campaign} has a published mark but no epoch: state was lost. Rebuild it (--rebuild).`,
    };
  return { outcome: started.started ? "started" : "already-started", epoch: started.epoch };
}
