// Redis connection factory: one place decides the topology (standalone, Cluster, Sentinel), credentials, TLS and the timeouts per role.

import type { ConnectionOptions } from "node:tls";
import { Cluster, type ClusterOptions, Command, Redis, type RedisOptions } from "ioredis";
import type { RedisSettings } from "./config-redis.js";
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

/** Where Redis is and how to reach it: the Redis part of the config (tests pass just a URL or the cluster nodes). */
export type RedisTarget = RedisSettings;

function tlsOptions(target: RedisTarget): ConnectionOptions | undefined {
  if (!target.redisTls) return undefined;
  return {
    ...(target.redisTlsCa === undefined ? {} : { ca: target.redisTlsCa }),
    ...(target.redisTlsServername === undefined ? {} : { servername: target.redisTlsServername }),
  };
}

function baseOptions(target: RedisTarget, opts: ConnectOptions): RedisOptions {
  const tls = tlsOptions(target);
  return {
    connectionName: opts.name,
    enableAutoPipelining: true,
    lazyConnect: opts.lazy ?? false,
    connectTimeout: opts.failFast ? 1000 : 5000,
    commandTimeout: opts.failFast ? failFastCommandTimeoutMs : undefined,
    maxRetriesPerRequest: opts.failFast ? 1 : 3,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    ...(target.redisUsername === undefined ? {} : { username: target.redisUsername }),
    ...(target.redisPassword === undefined ? {} : { password: target.redisPassword }),
    ...(tls === undefined ? {} : { tls }),
  };
}

/** Lambda-style command timeout (ms): the bound on any one Redis command of a failFast client, in every topology. */
export const failFastCommandTimeoutMs = 2000;

/**
 * A Cluster whose commands time out from the moment the cluster accepts them. ioredis arms commandTimeout only once a
 * command reaches a node's connection; while the cluster (re)connects it holds commands in its own offline queue with
 * no timer, and its retry strategy never gives up, so with every node down a command would wait until the Lambda
 * function times out. Here the timer starts at once, and a command that timed out while queued is dropped rather
 * than sent late. The client keeps reconnecting, so a reused Lambda container counts again once the cluster is back.
 */
class FailFastCluster extends Cluster {
  override sendCommand(...args: Parameters<Cluster["sendCommand"]>): unknown {
    const [command] = args;
    if (command.isSettled) return command.promise; // timed out in the offline queue: never send it late
    command.setTimeout(failFastCommandTimeoutMs);
    return super.sendCommand(...args);
  }
}

/** How soon a Sentinel client that ioredis ended by itself starts again (the first step of the Sentinel retry strategy). */
const sentinelRestartMs = 100;

/**
 * A Sentinel client that never ends by itself. ioredis ends a Sentinel connection for good (status "end", every command
 * rejected with "Connection is closed.") when it is told to reconnect while it is still asking the Sentinels for the
 * primary: its own +switch-master detector does exactly that during a failover, and so does the broadcaster's feed
 * watchdog (test/redis-sentinel-reconnect). This one starts again, unless it was closed on purpose (QUIT, disconnect()).
 */
class SentinelRedis extends Redis {
  private closedOnPurpose = false;

  constructor(options: RedisOptions) {
    super(options as RedisOptions & { replyMapping?: "legacy" }); // the default reply mapping, which is what we use

    this.on("end", () => {
      if (this.closedOnPurpose) return;
      setTimeout(() => {
        if (this.status === "end" && !this.closedOnPurpose) this.connect().catch(() => undefined);
      }, sentinelRestartMs);
    });
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.closedOnPurpose = true;
    super.disconnect(reconnect);
  }

  override sendCommand(...args: Parameters<Redis["sendCommand"]>): unknown {
    if (Command.checkFlag("WILL_DISCONNECT", args[0].name)) this.closedOnPurpose = true; // QUIT
    return super.sendCommand(...args);
  }
}

/** Creates a client for the configured topology: standalone, Redis Cluster or Sentinel (the store registers its scripts). */
export function createRedis(target: RedisTarget, opts: ConnectOptions): RedisClient {
  const options = baseOptions(target, opts);
  if (target.redisClusterNodes && target.redisClusterNodes.length > 0) {
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
      // With TLS the certificates name the nodes' hosts: connect to the names CLUSTER SLOTS gives, unresolved
      // (ioredis's advice for ElastiCache with encryption in transit).
      ...(options.tls === undefined
        ? {}
        : { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) }),
    };
    const nodes = [...target.redisClusterNodes];
    // (The cast: ioredis types the subclass's options for its default "legacy" reply mapping, which is what we use.)
    const failFastOptions = clusterOptions as ConstructorParameters<typeof FailFastCluster>[1];
    return opts.failFast ? new FailFastCluster(nodes, failFastOptions) : new Cluster(nodes, clusterOptions);
  }
  if (target.redisSentinels && target.redisSentinels.length > 0) {
    return new SentinelRedis({
      ...options,
      sentinels: [...target.redisSentinels],
      name: target.redisSentinelName ?? "mymaster",
      role: "master",
      // Subscribes to the Sentinels' +switch-master, so a promoted replica is used at once, not at the next error.
      failoverDetector: true,
      // Retried every 100-500 ms (each retry asks the Sentinels), not backed off to 2 s: once the Sentinels promote a
      // replica, the next attempt finds it (a SIGKILLed primary is replaced in ~2 s with a 1 s down-after).
      retryStrategy: (attempt) => Math.min(100 * attempt, 500),
      sentinelRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 4), 1000),
      ...(target.redisSentinelPassword === undefined ? {} : { sentinelPassword: target.redisSentinelPassword }),
      ...(options.tls === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: options.tls }),
    });
  }
  return new Redis(target.redisUrl ?? defaultRedisUrl, options);
}

/** A second connection for pub/sub (a subscribed connection cannot run other commands). */
export function createSubscriber(target: RedisTarget, name: string): RedisClient {
  return createRedis(target, { name, lazy: false });
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * Calls `listener` each time the client loses a Redis connection and reconnects: a standalone or Sentinel client
 * emits "reconnecting" before each attempt (a Sentinel failover is one), a Cluster client "-node" when a node leaves
 * its pool (a failed primary does) and "reconnecting" when it reconnects as a whole. Returns the unsubscribe.
 */
export function onReconnect(client: RedisClient, listener: () => void): () => void {
  const events = isCluster(client) ? ["-node", "reconnecting"] : ["reconnecting"];
  const handler = () => listener();
  for (const event of events) client.on(event, handler);
  return () => {
    for (const event of events) client.off(event, handler);
  };
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
