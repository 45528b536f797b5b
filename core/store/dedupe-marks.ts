// The dedupe marks of a campaign (sc:{<campaign>:<shard>}:seen:<id> = signed amount, then ":<attempt token>" when the
// writer gave one), for reconciliation: scanned on every master in cluster mode, and cleared before a rebuild replays.
import { isCluster, type RedisClient } from "../redis.js";
import { amountOfMark } from "./counters.js";
import { paymentIdOfSeenKey, seenKeyPattern } from "./keys.js";

type NodeClient = Pick<RedisClient, "scan" | "pipeline">;

export class DedupeMarkStore {
  constructor(private readonly redis: RedisClient) {}

  /** Every dedupe mark: paymentId -> signed amount as counted (a refund is negative). */
  async read(campaign: string, onProgress: (marks: number) => void = () => undefined): Promise<Map<string, bigint>> {
    const marks = new Map<string, bigint>();
    await this.forEachBatch(campaign, async (node, keys) => {
      // GETs one by one in a pipeline: a multi-key MGET would fail across slots on a cluster node.
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.get(key);
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const id = paymentIdOfSeenKey(key);
        const value = results[i]?.[1];
        const amount = typeof value === "string" ? amountOfMark(value) : undefined;
        if (id !== undefined && amount !== undefined) marks.set(id, amount);
      });
      onProgress(marks.size);
    });
    return marks;
  }

  /** Deletes every dedupe mark of the campaign (the rebuild fences and resets the counters first); returns how many went. */
  async clear(campaign: string): Promise<number> {
    let deleted = 0;
    await this.forEachBatch(campaign, async (node, keys) => {
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      await pipeline.exec();
      deleted += keys.length;
    });
    return deleted;
  }

  /** Every seen key of the campaign, per node, in SCAN batches (keys of one batch live on one node). */
  private async forEachBatch(campaign: string, visit: (node: NodeClient, keys: string[]) => Promise<void>): Promise<void> {
    const nodes: NodeClient[] = isCluster(this.redis) ? this.redis.nodes("master") : [this.redis];
    for (const node of nodes) {
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", seenKeyPattern(campaign), "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await visit(node, keys);
      } while (cursor !== "0");
    }
  }
}
