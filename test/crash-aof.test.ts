// Crash test: kill -9 Redis (AOF, fsync always) during ingest while senders retry anything not acknowledged.
import { crashScenario } from "./support/crash-scenario.js";
import { RedisServer } from "./support/redis-server.js";

crashScenario({
  testName: "ends with the exact sum of distinct events after Redis is SIGKILLed and restarted mid-ingest",
  logLabel: "crash-aof",
  retryFirstRead: false,
  start: async () => {
    const server = await RedisServer.start({ aof: true });
    return { env: { REDIS_URL: server.url }, victim: () => server, stop: () => server.stop() };
  },
});
