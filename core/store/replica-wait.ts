// WAIT after a count: ingest acknowledges payments only once REDIS_WAIT_REPLICAS replicas hold them, so a failover to
// a replica (Sentinel, or a Redis Cluster replica) cannot lose a payment that was already acknowledged.
//
// Redis documents that WAIT "blocks the current client until all the previous write commands are successfully
// transferred and acknowledged by at least the specified number of replicas", and that Sentinel and Cluster both
// promote the replica with the largest replication offset, so a write one replica confirmed survives the failover.
// It must run on the connection that wrote: the store sends it in the same pipeline as the count script.
import calculateSlot from "cluster-key-slot";
import type { Cluster } from "ioredis";
import { isCluster, type RedisClient } from "../redis.js";
import { ReplicationTimeoutError } from "./errors.js";

export interface ReplicaWaitOptions {
  /** Replicas that must confirm each count before it is acknowledged (REDIS_WAIT_REPLICAS, at least 1 here). */
  readonly replicas: number;
  /** How long WAIT may block (REDIS_WAIT_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Told when a node with no replica connected acknowledged writes without waiting (logged by the caller). */
  readonly onUnreplicated?: (node: string) => void;
}

/** How long a node found without any replica is written to without WAIT before it is asked again. */
const aloneRecheckMs = 1000;

export class ReplicaWait {
  private readonly aloneUntil = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    readonly options: ReplicaWaitOptions,
  ) {}

  /** False while the node serving `key` is known to have no replica connected: waiting would only add the timeout. */
  shouldWait(key: string): boolean {
    const until = this.aloneUntil.get(this.nodeOf(key));
    return until === undefined || Date.now() >= until;
  }

  /**
   * Accepts when `acks` replicas confirmed. Short of that: when the node has no replica connected at all (a cluster
   * master whose replica was promoted and not replaced yet, a primary right after a failover), no failover could
   * keep the write anyway and refusing would stop ingest, so it is accepted and reported; otherwise a replica lags
   * and the write is refused (the caller answers 503; a retry is safe, the dedupe mark holds the payment once).
   */
  async confirm(acks: number, key: string): Promise<void> {
    const { replicas, timeoutMs } = this.options;
    if (acks >= replicas) return;
    const node = this.nodeOf(key);
    const connected = await this.connectedReplicas(node);
    if (connected === 0) {
      this.aloneUntil.set(node, Date.now() + aloneRecheckMs);
      this.options.onUnreplicated?.(node);
      return;
    }
    throw new ReplicationTimeoutError(acks, replicas, timeoutMs);
  }

  /** "host:port" of the master serving the key on a cluster; "primary" otherwise. */
  private nodeOf(key: string): string {
    if (!isCluster(this.redis)) return "primary";
    return this.redis.slots[calculateSlot(key)]?.[0] ?? "unknown";
  }

  private async connectedReplicas(node: string): Promise<number> {
    const client = isCluster(this.redis) ? masterClient(this.redis, node) : this.redis;
    if (client === undefined) return -1;
    const info = await client.info("replication");
    const match = /^connected_slaves:(\d+)/m.exec(info);
    return match ? Number(match[1]) : -1;
  }
}

function masterClient(cluster: Cluster, node: string): Pick<RedisClient, "info"> | undefined {
  return cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === node);
}
