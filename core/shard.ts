// Stable shard choice: FNV-1a (32-bit) of the paymentId, mod the shard count.
// Stable across processes and languages, so a retry lands on the same shard and its dedupe key.

export function shardOf(paymentId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < paymentId.length; i++) {
    hash ^= paymentId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
