// The aggregator lease in Redis: one owner per campaign at a time (acquire-lease-1.lua, release-lease-1.lua).
import type { RedisClient } from "../redis.js";
import { registerScripts, runScript } from "./commands.js";
import { campaignKeys } from "./keys.js";

export class LeaseStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {
    registerScripts(redis);
  }

  /** Acquires or renews the lease for `leaseMs`; true when `owner` holds it now. */
  async acquire(campaign: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await runScript<number>(this.redis, "acquireLease", [campaignKeys(campaign, this.shards).leader], [owner, leaseMs])) === 1;
  }

  /** Releases the lease if `owner` holds it, so a standby takes over at once; true when released. */
  async release(campaign: string, owner: string): Promise<boolean> {
    return (await runScript<number>(this.redis, "releaseLease", [campaignKeys(campaign, this.shards).leader], [owner])) === 1;
  }
}
