// Aggregator high availability with real processes: three aggregators, one leads; SIGKILL and SIGTERM of the leader.
import { failoverScenario } from "./support/failover-scenario.js";
import { RedisServer } from "./support/redis-server.js";

failoverScenario({
  testName: "elects one leader, survives SIGKILL (standby publishes within 3 s) and SIGTERM (at once); seq never goes back",
  logPrefix: "",
  campaign: "ha",
  start: async () => {
    const server = await RedisServer.start();
    return { env: { REDIS_URL: server.url }, stop: () => server.stop() };
  },
});
