// Aggregator high availability on a 3-master Redis Cluster: three aggregator processes, one leads; SIGKILL and SIGTERM of the leader.
import { failoverScenario } from "./support/failover-scenario.js";
import { RedisCluster } from "./support/redis-server.js";

failoverScenario({
  testName: "on a cluster, elects one leader, survives SIGKILL (standby publishes within 3 s) and SIGTERM (at once); seq never goes back",
  logPrefix: "cluster ",
  campaign: "ha-cluster",
  start: async () => {
    const cluster = await RedisCluster.start();
    return { env: { REDIS_CLUSTER_NODES: cluster.envValue }, stop: () => cluster.stop() };
  },
});
