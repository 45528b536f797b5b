// Crash test on a 3-master cluster: kill -9 one master (AOF) during ingest while senders retry anything not acknowledged.
import { crashScenario } from "./support/crash-scenario.js";
import { RedisCluster } from "./support/redis-server.js";

crashScenario({
  testName: "ends with the exact sum of distinct events after one cluster master is SIGKILLed and restarted mid-ingest",
  logLabel: "crash-cluster",
  retryFirstRead: true,
  start: async () => {
    const cluster = await RedisCluster.start(3, { aof: true });
    return {
      env: { REDIS_CLUSTER_NODES: cluster.envValue },
      victim: () => {
        const victim = cluster.nodes[1];
        if (!victim) throw new Error("three masters expected");
        return victim;
      },
      stop: () => cluster.stop(),
    };
  },
});
