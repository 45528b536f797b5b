// Which master serves which keys, from CLUSTER SLOTS (a documented command, not the client's internals), cached briefly.
import calculateSlot from "cluster-key-slot";
import type { Cluster } from "ioredis";

/** A slot map this old is asked for again; a failed call also drops it. */
const maxAgeMs = 5000;

export class ClusterSlots {
  private ranges: Array<{ start: number; end: number; node: string }> | undefined;
  private fetchedAtMs = 0;
  private pending: Promise<void> | undefined;

  constructor(private readonly cluster: Cluster) {}

  /** Groups keys by the master serving their slot ("host:port"); undefined when a slot has no master in the map. */
  async groupByMaster(keys: readonly string[]): Promise<string[][] | undefined> {
    await this.refreshIfOld();
    const ranges = this.ranges;
    if (!ranges) return undefined;
    const byNode = new Map<string, string[]>();
    for (const key of keys) {
      const slot = calculateSlot(key);
      const node = ranges.find((r) => slot >= r.start && slot <= r.end)?.node;
      if (node === undefined) return undefined;
      const group = byNode.get(node);
      if (group) group.push(key);
      else byNode.set(node, [key]);
    }
    return [...byNode.values()];
  }

  /** Forget the map (a call routed by it failed: a slot moved or a master changed). */
  invalidate(): void {
    this.ranges = undefined;
    this.fetchedAtMs = 0;
  }

  private refreshIfOld(): Promise<void> {
    if (this.ranges && Date.now() - this.fetchedAtMs < maxAgeMs) return Promise.resolve();
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetch(): Promise<void> {
    // CLUSTER SLOTS: [start, end, [master host, port, id, ...], ...replicas] per slot range.
    const reply = await this.cluster.cluster("SLOTS");
    this.ranges = reply.flatMap(([start, end, master]) => (master ? [{ start, end, node: `${master[0]}:${master[1]}` }] : []));
    this.fetchedAtMs = Date.now();
  }
}
