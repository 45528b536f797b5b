// Lua scripts: loaded once from core/lua/*.lua, registered per connection under versioned names,
// called through typed functions. Negative script results become typed errors here.
import { readFileSync } from "node:fs";
import type { Cluster, Redis, Result } from "ioredis";

const luaDir = new URL("./lua/", import.meta.url);
const lua = (file: string) => readFileSync(new URL(file, luaDir), "utf8");

/** Versioned command names: bump the suffix when a script's contract changes. */
const scripts = {
  scCountPaymentV1: { numberOfKeys: 2, lua: lua("count-payment-2.lua") },
  scCountPaymentsV1: { lua: lua("count-payments-n.lua") },
  scPublishSnapshotV1: { numberOfKeys: 3, lua: lua("publish-snapshot-3.lua") },
  scAcquireLeaseV1: { numberOfKeys: 1, lua: lua("acquire-lease-1.lua") },
  scReleaseLeaseV1: { numberOfKeys: 1, lua: lua("release-lease-1.lua") },
  scReadShardsV1: { lua: lua("read-shards-n.lua") },
  scSumShardsV1: { lua: lua("sum-shards-n.lua") },
} as const;

declare module "ioredis" {
  interface RedisCommander<Context> {
    scCountPaymentV1(
      seenKey: string,
      countersKey: string,
      amount: string,
      kind: string,
      dedupeTtlSeconds: number,
      channel: string,
      category: string,
    ): Result<number, Context>;
    /**
     * Batch form (core/lua/count-payments-n.lua): numberOfKeys, the group counters keys and the seen keys, then the
     * TTL, the group count, the group sizes and (signed amount, channel, category) per event. One outcome per event.
     */
    scCountPaymentsV1(numberOfKeys: number, keysThenArgs: readonly string[]): Result<number[], Context>;
    scPublishSnapshotV1(
      leaderKey: string,
      metaKey: string,
      latestKey: string,
      owner: string,
      epoch: string,
      head: string,
      tail: string,
      channel: string,
    ): Result<number, Context>;
    scAcquireLeaseV1(leaderKey: string, owner: string, leaseMs: number): Result<number, Context>;
    scReleaseLeaseV1(leaderKey: string, owner: string): Result<number, Context>;
    /** numberOfKeys first, then the counters keys. */
    scReadShardsV1(numberOfKeys: number, ...countersKeys: string[]): Result<string[], Context>;
    /** numberOfKeys first, then the counters keys (KEYS, then ARGV): the summed fields joined by "\n", or null. */
    scSumShardsV1(numberOfKeys: number, ...countersKeys: string[]): Result<string | null, Context>;
  }
}

export type RedisClient = Redis | Cluster;

const registered = new WeakSet<RedisClient>();

/** Registers every script on a client once; safe to call repeatedly. */
export function registerScripts(client: RedisClient): RedisClient {
  if (registered.has(client)) return client;
  for (const [name, def] of Object.entries(scripts)) {
    client.defineCommand(name, def);
  }
  registered.add(client);
  return client;
}

export const CountOutcome = { counted: 1, duplicate: 0, conflict: -1 } as const;

export class PublishRefusedError extends Error {
  constructor(
    readonly code: "NOT_LEADER" | "EPOCH_MISMATCH",
    message: string,
  ) {
    super(message);
    this.name = "PublishRefusedError";
  }
}

/** Turns a publish-snapshot result into a seq, or throws the typed refusal. */
export function seqFromPublishResult(result: number): number {
  if (result === -1) throw new PublishRefusedError("NOT_LEADER", "the aggregator lease is held by another owner");
  if (result === -2) throw new PublishRefusedError("EPOCH_MISMATCH", "the epoch in Redis differs: counter state was lost or rebuilt");
  return result;
}
