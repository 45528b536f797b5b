// Reads the raw shard counters straight from Redis, to check totals independently of the aggregator.

import type { RedisClient } from "../../core/redis.js";
import { CounterStore } from "../../core/store/counters.js";
import { campaignKeys } from "../../core/store/keys.js";
import { CounterWriter, type CounterWriterOptions } from "../../ingest/domain/counter-writer.js";

export interface RawTotals {
  net: bigint;
  count: number;
  refunded: bigint;
  refunds: number;
  dups: number;
}

export async function readTotals(redis: RedisClient, campaign: string, shards: number): Promise<RawTotals> {
  const hashes = await Promise.all(campaignKeys(campaign, shards).shardCounters.map((key) => redis.hgetall(key)));
  const totals: RawTotals = { net: 0n, count: 0, refunded: 0n, refunds: 0, dups: 0 };
  for (const h of hashes) {
    totals.net += BigInt(h.net ?? "0");
    totals.count += Number(h.count ?? "0");
    totals.refunded += BigInt(h.refunded ?? "0");
    totals.refunds += Number(h.refunds ?? "0");
    totals.dups += Number(h.dups ?? "0");
  }
  return totals;
}

let sequence = 0;
/** A valid payment event with a unique id unless one is given. */
export function payment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence++;
  return {
    paymentId: `pay-${process.pid}-${sequence}`,
    amount: 10000,
    currency: "KRW",
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A CounterWriter over its own CounterStore, as the ingest runtime builds one. */
export function counterWriter(
  redis: RedisClient,
  options: { shards: number; dedupeTtlSeconds: number } & CounterWriterOptions,
): CounterWriter {
  const { shards, dedupeTtlSeconds, ...writerOptions } = options;
  return new CounterWriter(new CounterStore(redis, shards, dedupeTtlSeconds), writerOptions);
}
