// Rebuilds a campaign's counters from the payments export under a new epoch, so viewers and aggregators see a fresh history.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Config } from "../core/config.js";
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
 * 2. Removes the epoch, so the leading aggregator stops publishing (the publish script refuses) during the rebuild.
 * 3. Deletes the shard counters (keeping the fence), the dedupe marks and the dimension registry.
 * 4. Replays every export event through the counting script, through the fence.
 * 5. Writes a new epoch (the aggregator adopts it and publishes again), then lifts the fences.
 * A rebuild that died midway leaves the fences and no epoch: nothing is counted and nothing published, so nothing is
 * lost or doubled. Running it again takes the fence over, starts from step 3 again, and writes the epoch at the end.
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
  const current = (await store.snapshots.readEpoch(campaign)).epoch;
  const resumed = await store.rebuild.begin(campaign, token, current);
  const previousEpoch = (resumed === undefined ? current : resumed.previousEpoch) ?? null;
  await store.snapshots.removeEpoch(campaign);
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
  const epoch = newEpochId();
  await store.snapshots.writeRebuiltEpoch(campaign, epoch);
  await store.rebuild.finish(campaign, token);
  return { epoch, previousEpoch, counted, deletedKeys, resumed };
}
