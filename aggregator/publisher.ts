// Publishes a snapshot atomically: the script checks lease and epoch, assigns seq, stores latest, PUBLISHes.
import type { CampaignKeys } from "../core/keys.js";
import type { RedisClient } from "../core/redis.js";
import { seqFromPublishResult } from "../core/scripts.js";
import { encodeSnapshotParts, type SnapshotBody } from "../core/snapshot.js";

/** Resolves the assigned seq; rejects with PublishRefusedError (NOT_LEADER, EPOCH_MISMATCH) or a Redis error. */
export async function publishSnapshot(redis: RedisClient, keys: CampaignKeys, leaseToken: string, body: SnapshotBody): Promise<number> {
  const { head, tail } = encodeSnapshotParts(body);
  const result = await redis.scPublishSnapshotV1(keys.leader, keys.meta, keys.latest, leaseToken, body.epoch, head, tail, keys.snapshots);
  return seqFromPublishResult(result);
}
