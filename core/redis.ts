// Redis connection factory: one place decides standalone vs cluster and the timeouts for each role.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { Config } from "./config.js";
import { waitAtMost, withTimeout } from "./timeout.js";

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** Shown in CLIENT LIST, helps operators see who is connected. */
  readonly name: string;
  /**
   * Lambda-style: short connect timeout and bounded retries, so a dead Redis surfaces as a
   * failed request (a batch item failure) instead of hanging until the function times out.
   */
  readonly failFast?: boolean;
  /** Do not connect until the first command. */
  readonly lazy?: boolean;
}

export const defaultRedisUrl = "redis://127.0.0.1:6379";

function baseOptions(opts: ConnectOptions): RedisOptions {
  return {
    connectionName: opts.name,
    enableAutoPipelining: true,
    lazyConnect: opts.lazy ?? false,
    connectTimeout: opts.failFast ? 1000 : 5000,
    commandTimeout: opts.failFast ? 2000 : undefined,
    maxRetriesPerRequest: opts.failFast ? 1 : 3,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
}

/** Creates a client for the configured topology (the store registers its Lua scripts on first use). */
export function createRedis(config: Pick<Config, "redisUrl" | "redisClusterNodes">, opts: ConnectOptions): RedisClient {
  const options = baseOptions(opts);
  if (config.redisClusterNodes && config.redisClusterNodes.length > 0) {
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...options, enableAutoPipelining: false },
      // Off on purpose: with ioredis auto-pipelining a cluster client that saw a master restart keeps sending that
      // master's slots elsewhere and fails with MOVED forever (test/crash-cluster). Commands issued together are
      // still in flight together, so the fold stays one round trip per node.
      enableAutoPipelining: false,
      lazyConnect: options.lazyConnect,
      enableOfflineQueue: true,
      scaleReads: "master",
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    return new Cluster([...config.redisClusterNodes], clusterOptions);
  }
  return new Redis(config.redisUrl ?? defaultRedisUrl, options);
}

/** A second connection for pub/sub (a subscribed connection cannot run other commands). */
export function createSubscriber(config: Pick<Config, "redisUrl" | "redisClusterNodes">, name: string): RedisClient {
  return createRedis(config, { name, lazy: false });
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Resolves once the client is ready, or rejects after timeoutMs. */
export async function waitForReady(client: RedisClient, timeoutMs = 10000): Promise<void> {
  if (client.status === "ready") return;
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
    client.once("ready", onReady);
  });
  if (client.status === "wait") client.connect().catch(() => undefined);
  try {
    await withTimeout(ready, timeoutMs, () => new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
  } finally {
    client.off("ready", onReady);
  }
}

/** Quits politely, disconnecting hard if QUIT does not answer quickly. */
export async function closeRedis(client: RedisClient): Promise<void> {
  await waitAtMost(client.quit(), 1000);
  client.disconnect();
}
