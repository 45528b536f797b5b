// Writes validated events into the sharded counters through the count-payment Lua script, exactly once.
import { campaignKeys } from "../core/keys.js";
import type { RedisClient } from "../core/redis.js";
import { CountOutcome } from "../core/scripts.js";
import { shardOf } from "../core/shard.js";
import type { PaymentEvent } from "./payment-event.js";

export type WriteOutcome = "counted" | "duplicate" | "conflict";

export interface CounterWriterOptions {
  readonly shards: number;
  readonly dedupeTtlSeconds: number;
}

export class CounterWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: CounterWriterOptions,
  ) {}

  /**
   * Counts each event once. Calls are issued together and the client's auto-pipelining sends them
   * in one write per Redis node; order per shard is kept, so a duplicate inside one batch is seen.
   * Rejects if Redis fails: the events may be partly counted, and retrying them all is safe.
   */
  async write(events: readonly PaymentEvent[]): Promise<WriteOutcome[]> {
    const { shards, dedupeTtlSeconds } = this.options;
    const results = await Promise.all(
      events.map((event) => {
        const shard = campaignKeys(event.campaign, shards).shard(shardOf(event.paymentId, shards));
        return this.redis.scCountPaymentV1(
          shard.seen(event.paymentId),
          shard.counters,
          String(event.amount),
          event.type,
          dedupeTtlSeconds,
          event.channel ?? "",
          event.category ?? "",
        );
      }),
    );
    return results.map(toOutcome);
  }

  /** Records events rejected by validation, for the dashboard and metrics. */
  async recordRejected(campaign: string, rejected: number): Promise<void> {
    if (rejected > 0) await this.redis.hincrby(campaignKeys(campaign, this.options.shards).stats, "rejected", rejected);
  }
}

function toOutcome(result: number): WriteOutcome {
  if (result === CountOutcome.counted) return "counted";
  if (result === CountOutcome.duplicate) return "duplicate";
  if (result === CountOutcome.conflict) return "conflict";
  throw new Error(`count-payment script returned unexpected ${result}`);
}
