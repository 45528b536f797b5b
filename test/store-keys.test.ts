// The Redis key layout the store owns, as docs/architecture.md documents it for operators (redis-cli, dashboards).
import { describe, expect, it } from "vitest";
import { campaignKeys, campaignOfChannel, paymentIdOfSeenKey, seenKeyPattern } from "../core/store/keys.js";

describe("Redis key layout", () => {
  it("builds every key of a campaign as documented, with the hash tags Redis Cluster needs", () => {
    const keys = campaignKeys("bf", 64);
    expect(keys.shard(17).counters).toBe("sc:{bf:17}:c");
    expect(keys.shard(17).seen("pay-1")).toBe("sc:{bf:17}:seen:pay-1");
    expect([keys.meta, keys.latest, keys.leader, keys.snapshots, keys.stats]).toEqual([
      "sc:{bf}:meta",
      "sc:{bf}:latest",
      "sc:{bf}:leader",
      "sc:{bf}:snapshots",
      "sc:{bf}:stats",
    ]);
    expect([keys.history, keys.milestones, keys.deadLetters]).toEqual(["sc:{bf}:history", "sc:{bf}:milestones", "sc:{bf}:dead-letters"]);
    expect(keys.shardCounters).toHaveLength(64);
    expect(() => keys.shard(64)).toThrow(RangeError);
  });

  it("reads campaigns and payment ids back from channels and dedupe keys", () => {
    expect(campaignOfChannel("sc:{bf}:snapshots")).toBe("bf");
    expect(campaignOfChannel("sc:{bf}:latest")).toBeUndefined();
    expect(paymentIdOfSeenKey("sc:{bf:3}:seen:a:b")).toBe("a:b");
    expect(seenKeyPattern("bf")).toBe("sc:{bf:*}:seen:*");
  });
});
