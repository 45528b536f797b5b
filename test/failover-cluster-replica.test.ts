// Redis Cluster with one replica per master: the master serving the campaign's meta key (lease, seq, mark, latest) is
// SIGKILLed mid-ingest and not restarted; its replica is promoted by the cluster. Same checks as the Sentinel test.
import { RedisCluster } from "./support/redis-server.js";
import { replicaFailoverScenario } from "./support/replica-failover-scenario.js";

replicaFailoverScenario({
  testName: "counts every acknowledged payment exactly once when a cluster master dies and its replica takes over",
  logLabel: "cluster-replica",
  campaign: "clreplica",
  start: async () => {
    const cluster = await RedisCluster.start(3, { replicas: 1, nodeTimeoutMs: 1000 });
    return {
      env: { REDIS_CLUSTER_NODES: cluster.envValue },
      killPrimary: async (key) => {
        const master = await cluster.masterOf(key);
        const killedAtMs = Date.now();
        await master.kill();
        for (const deadline = Date.now() + 20000; ; ) {
          const states = await Promise.all(cluster.nodes.filter((n) => n !== master).map((n) => n.cli("cluster", "info").catch(() => "")));
          // While the dead master is only suspected (fail?), no master serves its slots.
          const now = await cluster.masterOf(key).catch(() => master);
          if (states.every((s) => s.includes("cluster_state:ok")) && now !== master) break;
          if (Date.now() > deadline) throw new Error("the replica was not promoted");
          await new Promise((r) => setTimeout(r, 50));
        }
        return { promotedAfterMs: Date.now() - killedAtMs };
      },
      stop: () => cluster.stop(),
    };
  },
});
