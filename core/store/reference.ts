// The reference one-event script (reference/count-payment-2.lua) as a typed call: for tests and benchmarks that
// compare the write path against it. Never used on the production path.
import type { RedisClient } from "../redis.js";
import { shardOf } from "../shard.js";
import { ensureReferenceScripts, runScript } from "./commands.js";
import { DimensionRegistry } from "./dimension-registry.js";
import { campaignKeys } from "./keys.js";

export interface OneEvent {
  readonly campaign: string;
  readonly paymentId: string;
  /** Positive, minor units. */
  readonly amount: number | string;
  readonly kind: "payment" | "refund";
  readonly channel?: string;
  readonly category?: string;
  /** Put it on this shard instead of FNV-1a(paymentId) mod shards: tests that fill chosen shards. */
  readonly shard?: number;
}

/** The writer's name registry per connection (default caps), so names counted here are folded like the writer's. */
const registries = new WeakMap<RedisClient, DimensionRegistry>();

/** Counts one event with the one-event script (default TTL: an hour): 1 counted, 0 duplicate, -1 conflict. */
export async function countOneEvent(redis: RedisClient, shards: number, dedupeTtlSeconds: number, event: OneEvent): Promise<number> {
  await ensureReferenceScripts(redis);
  let registry = registries.get(redis);
  if (registry === undefined) {
    registry = new DimensionRegistry(redis, shards);
    registries.set(redis, registry);
  }
  const bucketOf = await registry.resolve([{ campaign: event.campaign, channel: event.channel, category: event.category }]);
  const shard = campaignKeys(event.campaign, shards).shard(event.shard ?? shardOf(event.paymentId, shards));
  return runScript<number>(
    redis,
    "countPayment",
    [shard.seen(event.paymentId), shard.counters],
    [
      String(event.amount),
      event.kind,
      dedupeTtlSeconds,
      bucketOf(event.campaign, "ch", event.channel),
      bucketOf(event.campaign, "cat", event.category),
    ],
  );
}
