// Scans the dedupe marks of a campaign (every master in cluster mode): paymentId -> signed amount as counted.
import { campaignKeys, paymentIdOfSeenKey, seenKeyPattern } from "../core/keys.js";
import { isCluster, type RedisClient } from "../core/redis.js";

type NodeClient = Pick<RedisClient, "scan" | "pipeline">;

function masters(redis: RedisClient): NodeClient[] {
  return isCluster(redis) ? redis.nodes("master") : [redis];
}

/** Every seen key of the campaign, per node, in SCAN batches (keys of one batch live on one node). */
async function forEachSeenBatch(redis: RedisClient, campaign: string, visit: (node: NodeClient, keys: string[]) => Promise<void>) {
  for (const node of masters(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", seenKeyPattern(campaign), "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await visit(node, keys);
    } while (cursor !== "0");
  }
}

/** Reads every dedupe mark: paymentId -> signed amount (a refund is negative). */
export async function readSeenMarks(redis: RedisClient, campaign: string, onProgress: (marks: number) => void = () => undefined) {
  const marks = new Map<string, bigint>();
  await forEachSeenBatch(redis, campaign, async (node, keys) => {
    // GETs one by one in a pipeline: a multi-key MGET would fail across slots on a cluster node.
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.get(key);
    const results = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const id = paymentIdOfSeenKey(key);
      const value = results[i]?.[1];
      if (id !== undefined && typeof value === "string" && /^-?\d+$/.test(value)) marks.set(id, BigInt(value));
    });
    onProgress(marks.size);
  });
  return marks;
}

/** Deletes the campaign's shard counters and every dedupe mark, before a rebuild replays the export. */
export async function clearCounters(redis: RedisClient, campaign: string, shards: number): Promise<number> {
  let deleted = 0;
  for (const key of campaignKeys(campaign, shards).shardCounters) deleted += await redis.del(key);
  await forEachSeenBatch(redis, campaign, async (node, keys) => {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.unlink(key);
    await pipeline.exec();
    deleted += keys.length;
  });
  return deleted;
}
