// Memoizes an async read per key for a short time (bounded), so a burst of requests costs one Redis round trip.

const maxEntries = 1000;

export function memoized<T>(ttlMs: number, read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const memo = new Map<string, { atMs: number; value: Promise<T> }>();
  return (key) => {
    const hit = memo.get(key);
    if (hit && Date.now() - hit.atMs < ttlMs) return hit.value;
    const value = read(key);
    if (memo.size >= maxEntries) memo.clear();
    memo.set(key, { atMs: Date.now(), value });
    value.catch(() => memo.delete(key));
    return value;
  };
}
