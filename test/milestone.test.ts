// Milestones: each threshold is recorded exactly once, even while aggregators fail over around the crossing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Aggregator, startAggregator } from "../aggregator/aggregator.js";
import { HistoryRecorder } from "../aggregator/history.js";
import type { Milestone } from "../aggregator/milestones.js";
import { createLogger } from "../core/logger.js";
import { createRedis, type RedisClient } from "../core/redis.js";
import { openStore } from "../core/store/index.js";
import { campaignKeys } from "../core/store/keys.js";
import { eventually, type Pipeline, sleep, startPipeline } from "./support/pipeline.js";

const step = 1_000_000;
let p: Pipeline;
let redis: RedisClient;

beforeAll(async () => {
  p = await startPipeline({ CAMPAIGN: "miles", MILESTONE_STEP: String(step) });
  redis = createRedis(p.config, { name: "milestone-test" });
});
afterAll(async () => {
  redis?.disconnect();
  await p?.stop();
});

async function milestones(): Promise<Record<string, Milestone>> {
  const hash = await redis.hgetall(campaignKeys("miles", 8).milestones);
  return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as Milestone]));
}

describe("milestones", () => {
  it("records every threshold crossed exactly once while two aggregators fail over", async () => {
    const aggregators: Aggregator[] = [p.aggregator, await startAggregator({ config: p.config, leaseMs: 600 })];
    const seen: Record<string, Milestone> = {};
    for (let round = 1; round <= 4; round++) {
      await p.post(step);
      // Hand over around the crossing: the leader stops while the standby may already be recording.
      await sleep(round * 150);
      const leader = aggregators.find((a) => a.isLeader());
      if (leader) {
        await leader.stop();
        aggregators.splice(aggregators.indexOf(leader), 1);
        aggregators.push(await startAggregator({ config: p.config, leaseMs: 600 }));
      }
      const now = await eventually(
        async () => {
          const m = await milestones();
          return m[String(round * step)] ? m : undefined;
        },
        15000,
        `milestone ${round * step}`,
      );
      // A recorded milestone never changes afterwards: no leader writes it a second time.
      for (const [threshold, record] of Object.entries(seen)) expect(now[threshold]).toEqual(record);
      Object.assign(seen, now);
    }
    expect(Object.keys(seen).sort()).toEqual(["1000000", "2000000", "3000000", "4000000"]);
    for (const m of Object.values(seen)) expect(BigInt(m.total)).toBeGreaterThanOrEqual(BigInt(m.threshold));
    p.aggregator = aggregators.shift()!;
    await Promise.all(aggregators.map((a) => a.stop()));
  });

  it("lets only the lease holder record, and a repeated or second recording adds nothing", async () => {
    const keys = campaignKeys("miles", 8);
    const logger = createLogger("test", "silent");
    const leaderToken = await eventually(async () => (await redis.get(keys.leader)) ?? undefined, 10000, "a leader");
    const reported: string[] = [];
    // Split brain: every recorder believes it leads; the lease in Redis decides, HSETNX keeps the first record.
    const recorder = (name: string, token: string) =>
      new HistoryRecorder({
        store: openStore(redis, { shards: 8, dedupeTtlSeconds: 3600 }),
        campaign: "miles",
        leaseToken: token,
        isLeader: () => true,
        milestoneStep: 100n,
        logger,
        onMilestone: (m) => reported.push(`${name}:${m.threshold}`),
      });
    await recorder("deposed", "not-the-leader").tick();
    expect(reported).toEqual([]);
    const before = await milestones();
    await recorder("first", leaderToken).tick();
    const recorded = reported.length;
    // The top 1000 thresholds of step 100 below the total; 4,000,000 was already there from the 1e6 steps.
    expect(recorded).toBeGreaterThanOrEqual(999);
    expect(reported.every((r) => r.startsWith("first:"))).toBe(true);
    await recorder("second", leaderToken).tick();
    expect(reported.length).toBe(recorded);
    const after = await milestones();
    for (const [threshold, record] of Object.entries(before)) expect(after[threshold]).toEqual(record);
  });
});
