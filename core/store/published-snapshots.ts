// Snapshots in Redis: the campaign epoch and its start, publishing against the published mark (publish-snapshot-3.lua
// assigns seq, stores latest, PUBLISHes), restoring the mark from a held snapshot, the rebuild's epoch switch, channels.
import { randomBytes } from "node:crypto";
import { markOfSnapshot, type PublishedMark } from "../published-mark.js";
import type { RedisClient } from "../redis.js";
import { compareEpochs, encodeSnapshotParts, type Snapshot, type SnapshotBody } from "../snapshot.js";
import { registerScripts, runScript } from "./commands.js";
import { PublishRefusedError, UnexpectedReplyError } from "./errors.js";
import { allSnapshotChannels, campaignKeys, campaignOfChannel } from "./keys.js";

/** Meta fields of the mark, in the order the scripts take the figures (lua/includes/published-mark.lua). */
const markFields = ["markGross", "markCount", "markRefunded", "markRefunds"] as const;
const degradedFields = ["degraded", "degradedReason", "degradedSince"] as const;

/**
 * A new epoch id: its creation time (ISO-8601, so ids sort in creation order) and a random suffix. When `after` is
 * given and the clock would not sort after it (a clock behind the one that made it), the id is `after` plus a suffix,
 * which sorts right after it: a rebuild's epoch always follows the one it replaces.
 */
export function newEpochId(now: Date = new Date(), after?: string): string {
  const suffix = randomBytes(4).toString("hex");
  const id = `${now.toISOString()}-${suffix}`;
  return after === undefined || compareEpochs(id, after) > 0 ? id : `${after}.${suffix}`;
}

export function markArgs(mark: PublishedMark): string[] {
  return [mark.gross.toString(), mark.count.toString(), mark.refunded.toString(), mark.refunds.toString()];
}

export interface CampaignState {
  /** The current epoch, or undefined when the campaign has none (never started, or Redis lost it). */
  readonly epoch: string | undefined;
  readonly seq: number;
  /** The highest figures published in the epoch, or undefined before the first publish. */
  readonly mark: PublishedMark | undefined;
  /** The last good (not degraded) snapshot published, as JSON. */
  readonly good: string | undefined;
  /** The epoch a running (or dead) rebuild will write; publishing new figures waits for it. */
  readonly rebuilding: string | undefined;
}

/** What a publish did: published with its seq, or refused because the figures are below the mark or a rebuild runs. */
export type PublishOutcome =
  | { readonly kind: "published"; readonly seq: number }
  | { readonly kind: "below-mark"; readonly field: string; readonly mark: string; readonly good: string | undefined }
  | { readonly kind: "rebuilding"; readonly good: string | undefined };

export type StartOutcome = { readonly started: boolean; readonly epoch: string } | { readonly started: false; readonly epoch: undefined };

/** restored: Redis had no epoch or an earlier one; raised: it knew less; unchanged; later-epoch: the snapshot is stale. */
export type RestoreOutcome = "restored" | "raised" | "unchanged" | "later-epoch";
const restoreOutcomes: Readonly<Record<number, RestoreOutcome>> = { 1: "restored", 2: "raised", 0: "unchanged", [-1]: "later-epoch" };

/** A snapshot without its degraded marks: what the last good snapshot looked like. */
export function withoutDegraded(snapshot: Snapshot): Snapshot {
  const copy: Record<string, unknown> = { ...snapshot };
  for (const field of degradedFields) delete copy[field];
  return copy as unknown as Snapshot;
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

  async readState(campaign: string): Promise<CampaignState> {
    const meta = campaignKeys(campaign, this.shards).meta;
    const [epoch, seq, good, rebuilding, ...mark] = await this.redis.hmget(meta, "epoch", "seq", "good", "rebuilding", ...markFields);
    const [gross, count, refunded, refunds] = mark;
    return {
      epoch: epoch ?? undefined,
      seq: Number(seq ?? 0),
      good: good ?? undefined,
      rebuilding: rebuilding ?? undefined,
      mark:
        gross == null || count == null || refunded == null || refunds == null
          ? undefined
          : { gross: BigInt(gross), count: BigInt(count), refunded: BigInt(refunded), refunds: BigInt(refunds) },
    };
  }

  /**
   * Starts the campaign (its first epoch) unless it has one: started true with the new epoch, false with the existing
   * one, or epoch undefined when Redis holds a mark without an epoch (lost state: a rebuild, not a start).
   */
  async startCampaign(campaign: string, epoch: string = newEpochId()): Promise<StartOutcome> {
    const reply = await runScript<[number, string?]>(this.redis, "startCampaign", [campaignKeys(campaign, this.shards).meta], [epoch]);
    if (reply[0] === -1) return { started: false, epoch: undefined };
    if (typeof reply[1] !== "string") throw new UnexpectedReplyError(`start-campaign returned ${JSON.stringify(reply)}`);
    return { started: reply[0] === 1, epoch: reply[1] };
  }

  /** Offers a snapshot someone still holds (restore-mark-2.lua): Redis gets back the epoch, mark and seq it lost. */
  async restore(snapshot: Snapshot): Promise<RestoreOutcome> {
    const keys = campaignKeys(snapshot.campaign, this.shards);
    const good = withoutDegraded(snapshot);
    const args = [good.epoch, String(good.seq), JSON.stringify(good), ...markArgs(markOfSnapshot(good))];
    const reply = await runScript<number>(this.redis, "restoreMark", [keys.meta, keys.latest], args);
    const outcome = restoreOutcomes[reply];
    if (outcome === undefined) throw new UnexpectedReplyError(`restore-mark returned ${reply}`);
    return outcome;
  }

  /**
   * Publishes `body` as new figures (kind "good", checked against the mark) or as the last good snapshot republished
   * while degraded. Rejects with PublishRefusedError NOT_LEADER or EPOCH_MISMATCH (with Redis's epoch), or a Redis error.
   */
  async publish(owner: string, body: SnapshotBody, kind: "good" | "degraded", atMs: number): Promise<PublishOutcome> {
    const keys = campaignKeys(body.campaign, this.shards);
    const { head, tail } = encodeSnapshotParts(body);
    const args = [owner, body.epoch, head, tail, keys.snapshots, String(atMs), kind, ...markArgs(markOfSnapshot(body))];
    const reply = await runScript<Array<number | string | null>>(
      this.redis,
      "publishSnapshot",
      [keys.leader, keys.meta, keys.latest],
      args,
    );
    const text = (value: number | string | null | undefined) => (typeof value === "string" ? value : undefined);
    switch (reply[0]) {
      case 1:
        return { kind: "published", seq: Number(reply[1]) };
      case -1:
        throw new PublishRefusedError("NOT_LEADER", "the aggregator lease is held by another owner");
      case -2:
        throw new PublishRefusedError("EPOCH_MISMATCH", `Redis has epoch ${reply[1] ?? "(none)"}, not ${body.epoch}`, text(reply[1]));
      case -3:
        return { kind: "below-mark", field: String(reply[1]), mark: String(reply[2]), good: text(reply[3]) };
      case -4:
        return { kind: "rebuilding", good: text(reply[1]) };
      default:
        throw new UnexpectedReplyError(`publish-snapshot returned ${JSON.stringify(reply)}`);
    }
  }

  /** A rebuild starts: new figures wait (the aggregator republishes the last good snapshot) until finishRebuild. */
  async beginRebuild(campaign: string, epoch: string): Promise<void> {
    await this.redis.hset(campaignKeys(campaign, this.shards).meta, "rebuilding", epoch);
  }

  /** The rebuilt counters are whole: their epoch becomes current with a fresh mark; aggregators adopt it (it is later). */
  async finishRebuild(campaign: string, epoch: string): Promise<void> {
    const meta = campaignKeys(campaign, this.shards).meta;
    await this.redis
      .multi()
      .hdel(meta, "rebuilding", "good", "goodSeq", ...markFields)
      .hset(meta, "epoch", epoch)
      .exec();
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

  /** The latest snapshot JSON of a campaign, or null when it has published none. */
  readLatest(campaign: string): Promise<string | null> {
    return this.redis.get(campaignKeys(campaign, this.shards).latest);
  }
}
