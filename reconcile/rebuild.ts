// Rebuilds a campaign's counters from the payments export under a new epoch, so viewers and aggregators see a fresh history.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Config } from "../core/config.js";
import { compareEpochs } from "../core/snapshot.js";
import { newEpochId, type Store, type UnfinishedRebuild } from "../core/store/index.js";
import { CounterWriter } from "../ingest/domain/counter-writer.js";
import type { PaymentEvent } from "../ingest/domain/payment-event.js";

export interface RebuildResult {
  readonly epoch: string;
  readonly previousEpoch: string | null;
  readonly counted: number;
  readonly deletedKeys: number;
  /** The rebuild that died midway and that this one finished, if any. */
  readonly resumed: UnfinishedRebuild | undefined;
}

const chunkSize = 1000;

/**
 * 1. Records the rebuild in the meta hash and fences every shard: from here ingest counts nothing (its calls are refused
 *    with REBUILD_IN_PROGRESS, nothing written, and its senders retry them after the rebuild: exactly once).
 * 2. Marks the campaign as rebuilding: the current epoch stays (so nothing treats the campaign as new or lost), and the
 *    aggregator republishes the last good snapshot, marked degraded, instead of a partial replay.
 * 3. Deletes the shard counters (keeping the fence), the dedupe marks and the dimension registry.
 * 4. Replays every export event through the counting script, through the fence.
 * 5. Makes a new epoch current, ordered after the old one, with a fresh mark (the aggregator adopts it and publishes the
 *    exact total; viewers accept its seq as a new history), then lifts the fences.
 * A rebuild that died midway leaves the fences and the old epoch, degraded: nothing is counted and nothing lower is
 * published, so nothing is lost or doubled. Running it again takes the fence over and starts from step 2 again.
 * Events counted before the fence that are missing from the export are not kept: the comparison printed before the
 * rebuild lists them (counted, not in the export).
 */
export async function rebuildCounters(
  store: Store,
  config: Pick<Config, "campaign">,
  events: readonly PaymentEvent[],
  onProgress: (replayed: number) => void = () => undefined,
): Promise<RebuildResult> {
  const { campaign } = config;
  const token = `${hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;
  const state = await store.snapshots.readState(campaign);
  const resumed = await store.rebuild.begin(campaign, token, state.epoch);
  const previousEpoch = (resumed === undefined ? state.epoch : resumed.previousEpoch) ?? null;
  // After the current epoch, and after a dead rebuild's, so every viewer orders the new history last.
  const after = [state.epoch, state.rebuilding]
    .filter((e): e is string => e !== undefined)
    .sort(compareEpochs)
    .at(-1);
  const epoch = newEpochId(new Date(), after);
  await store.snapshots.beginRebuild(campaign, epoch);
  await store.rebuild.resetShards(campaign, token);
  const deletedKeys = await store.dedupeMarks.clear(campaign);
  await store.counters.dimensions.clear(campaign);
  const writer = new CounterWriter(store.counters.withFencePass(token));
  let counted = 0;
  for (let i = 0; i < events.length; i += chunkSize) {
    const outcomes = await writer.write(events.slice(i, i + chunkSize));
    counted += outcomes.filter((o) => o === "counted").length;
    onProgress(Math.min(i + chunkSize, events.length));
  }
  await store.snapshots.finishRebuild(campaign, epoch);
  await store.rebuild.finish(campaign, token);
  return { epoch, previousEpoch, counted, deletedKeys, resumed };
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
