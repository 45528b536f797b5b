// Snapshots in Redis: the campaign epoch, publishing (publish-snapshot-3.lua assigns seq, stores latest, PUBLISHes),
// the latest snapshot, and the pub/sub channel names.
import { randomBytes } from "node:crypto";
import type { RedisClient } from "../redis.js";
import { encodeSnapshotParts, type SnapshotBody } from "../snapshot.js";
import { registerScripts, runScript } from "./commands.js";
import { PublishRefusedError } from "./errors.js";
import { allSnapshotChannels, campaignKeys, campaignOfChannel } from "./keys.js";

/** Meta field a rebuild sets to the epoch it created; the state-loss guard adopts only such an epoch. */
const rebuiltEpochField = "rebuiltEpoch";

/** Sortable and readable in logs: creation time plus a random suffix, so two aggregators starting together differ. */
export function newEpochId(now: Date = new Date()): string {
  return `${now.toISOString()}-${randomBytes(4).toString("hex")}`;
}

export interface EpochState {
  /** The current epoch, or undefined when the campaign has none (never created, or counter state was lost). */
  readonly epoch: string | undefined;
  /** The epoch the last rebuild wrote, if any. */
  readonly rebuiltEpoch: string | undefined;
}

export class PublishedSnapshots {
  /** Pattern matching the snapshot channel of every campaign (for PSUBSCRIBE). */
  static readonly channelPattern = allSnapshotChannels;

  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
  }

  /** The campaign of a snapshot channel (from a pmessage), or undefined if the channel is not one. */
  static campaignOfChannel(channel: string): string | undefined {
    return campaignOfChannel(channel);
  }

  /** The channel a campaign's snapshots are published on (for SUBSCRIBE). */
  channelOf(campaign: string): string {
    return campaignKeys(campaign, this.shards).snapshots;
  }

  /** Creates the epoch if the campaign has none and returns the one in Redis (ours or an earlier one). */
  async ensureEpoch(campaign: string): Promise<string> {
    const meta = campaignKeys(campaign, this.shards).meta;
    // Issued together: one round trip thanks to auto-pipelining, and HGET runs after HSETNX on the same connection.
    const [, epoch] = await Promise.all([this.redis.hsetnx(meta, "epoch", newEpochId()), this.redis.hget(meta, "epoch")]);
    if (epoch === null) throw new Error(`${meta} has no epoch right after HSETNX`);
    return epoch;
  }

  async readEpoch(campaign: string): Promise<EpochState> {
    const [epoch, rebuilt] = await this.redis.hmget(campaignKeys(campaign, this.shards).meta, "epoch", rebuiltEpochField);
    return { epoch: epoch ?? undefined, rebuiltEpoch: rebuilt ?? undefined };
  }

  /** Removes the epoch, so the leader's publishes are refused (EPOCH_MISMATCH) until a new one is written. */
  async removeEpoch(campaign: string): Promise<void> {
    await this.redis.hdel(campaignKeys(campaign, this.shards).meta, "epoch");
  }

  /** Writes an epoch created by a rebuild; the aggregator adopts it and publishes under it. */
  async writeRebuiltEpoch(campaign: string, epoch: string): Promise<void> {
    await this.redis.hset(campaignKeys(campaign, this.shards).meta, "epoch", epoch, rebuiltEpochField, epoch);
  }

  /**
   * One command (MGET, both keys in the campaign's slot) for a campaign a viewer names: its latest snapshot, and
   * whether an aggregator holds its lease (it will publish soon). Neither: no such campaign, as far as viewers go.
   */
  async lookup(campaign: string): Promise<{ latest: string | null; served: boolean }> {
    const keys = campaignKeys(campaign, this.shards);
    const [latest, leader] = await this.redis.mget(keys.latest, keys.leader);
    return { latest: latest ?? null, served: leader !== null && leader !== undefined };
  }

  /** True when the campaign has ever had an epoch or a seq (it exists, even if it has published nothing yet). */
  async exists(campaign: string): Promise<boolean> {
    return (await this.redis.exists(campaignKeys(campaign, this.shards).meta)) > 0;
  }

  /** Resolves the assigned seq; rejects with PublishRefusedError (NOT_LEADER, EPOCH_MISMATCH) or a Redis error. */
  async publish(owner: string, body: SnapshotBody): Promise<number> {
    const keys = campaignKeys(body.campaign, this.shards);
    const { head, tail } = encodeSnapshotParts(body);
    const result = await runScript<number>(
      this.redis,
      "publishSnapshot",
      [keys.leader, keys.meta, keys.latest],
      [owner, body.epoch, head, tail, keys.snapshots],
    );
    if (result === -1) throw new PublishRefusedError("NOT_LEADER", "the aggregator lease is held by another owner");
    if (result === -2) throw new PublishRefusedError("EPOCH_MISMATCH", "the epoch in Redis differs: counter state was lost or rebuilt");
    return result;
  }

  /** The latest snapshot JSON of a campaign, or null when it has published none. */
  readLatest(campaign: string): Promise<string | null> {
    return this.redis.get(campaignKeys(campaign, this.shards).latest);
  }
}
