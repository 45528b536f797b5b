// Redis Sentinel failover with real processes: 1 primary, 2 replicas, 3 Sentinels; the primary SIGKILLed mid-ingest and
// a replica promoted by the Sentinels. Exact total, the viewer's number never lower, publishing pauses briefly.
import { RedisSentinelSet } from "./support/redis-sentinel.js";
import { replicaFailoverScenario } from "./support/replica-failover-scenario.js";

replicaFailoverScenario({
  testName: "counts every acknowledged payment exactly once through a Sentinel failover and keeps the viewers' number",
  logLabel: "sentinel",
  campaign: "sentinel",
  start: async () => {
    const set = await RedisSentinelSet.start();
    return {
      env: set.env,
      killPrimary: async () => {
        const primary = await set.primary();
        const killedAtMs = Date.now();
        await primary.kill();
        await set.waitForFailover(primary);
        return { promotedAfterMs: Date.now() - killedAtMs };
      },
      stop: () => set.stop(),
    };
  },
});
