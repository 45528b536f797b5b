// The fence of reconcile --rebuild: a token in every shard's counters hash (rebuild-fence-1.lua) that makes the counting
// scripts refuse ingest while the shards are cleared and replayed, and the rebuild under way recorded in the meta hash
// (rebuildToken, rebuildFrom, rebuildStartedAt), so a rebuild that died midway is found and resumed.
import type { RedisClient } from "../redis.js";
import { registerScripts, runScript } from "./commands.js";
import { StoreError } from "./errors.js";
import { campaignKeys } from "./keys.js";

export interface UnfinishedRebuild {
  /** The token of the rebuild that set the fence. */
  readonly token: string;
  /** The epoch before that rebuild removed it, or undefined when the campaign had none (state already lost). */
  readonly previousEpoch: string | undefined;
  readonly startedAt: string;
}

/** Another rebuild took the fence over (a second `--rebuild` started while this one ran): this one stops. */
export class RebuildTakenOverError extends StoreError {
  constructor(campaign: string) {
    super("REBUILD_TAKEN_OVER", `another rebuild of campaign ${campaign} holds the fence now; this one stopped without finishing`);
  }
}

type FenceMode = "fence" | "reset" | "lift";

export class RebuildFenceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
  }

  /** The rebuild under way (or one that died midway), if any. */
  async unfinished(campaign: string): Promise<UnfinishedRebuild | undefined> {
    const meta = campaignKeys(campaign, this.shards).meta;
    const [token, from, startedAt] = await this.redis.hmget(meta, "rebuildToken", "rebuildFrom", "rebuildStartedAt");
    if (token === null || token === undefined) return undefined;
    return { token, previousEpoch: from === null || from === undefined || from === "" ? undefined : from, startedAt: startedAt ?? "" };
  }

  /**
   * Records a rebuild as under way and fences every shard with its token: from here no ingest call counts anything.
   * Takes over an unfinished rebuild (its fence and the epoch it started from) and returns it.
   */
  async begin(campaign: string, token: string, currentEpoch: string | undefined): Promise<UnfinishedRebuild | undefined> {
    const meta = campaignKeys(campaign, this.shards).meta;
    const previous = await this.unfinished(campaign);
    const from = previous === undefined ? (currentEpoch ?? "") : (previous.previousEpoch ?? "");
    await this.redis.hset(meta, "rebuildToken", token, "rebuildFrom", from, "rebuildStartedAt", new Date().toISOString());
    await this.everyShard(campaign, "fence", token);
    return previous;
  }

  /** Deletes every shard's counters, keeping the fence (one atomic step per shard). */
  async resetShards(campaign: string, token: string): Promise<void> {
    await this.everyShard(campaign, "reset", token);
  }

  /** Lifts the fences and forgets the rebuild: ingest counts again. */
  async finish(campaign: string, token: string): Promise<void> {
    await this.everyShard(campaign, "lift", token);
    await this.redis.hdel(campaignKeys(campaign, this.shards).meta, "rebuildToken", "rebuildFrom", "rebuildStartedAt");
  }

  private async everyShard(campaign: string, mode: FenceMode, token: string): Promise<void> {
    const results = await Promise.all(
      campaignKeys(campaign, this.shards).shardCounters.map((key) => runScript<number>(this.redis, "rebuildFence", [key], [mode, token])),
    );
    if (results.some((r) => r !== 1)) throw new RebuildTakenOverError(campaign);
  }
}
