/** A TTL cache on an injected clock; entries past their TTL are never returned. */
export interface TtlCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, ttlMs: number): void;
  clear(): void;
  readonly size: number;
}

const MAX_ENTRIES = 10_000;

export function createTtlCache<V>(clock: { now(): number }, maxEntries = MAX_ENTRIES): TtlCache<V> {
  const entries = new Map<string, { value: V; expiresAt: number }>();

  function sweep(now: number): void {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    // Still full of live entries: drop the oldest (a Map iterates in insertion order).
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  }

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= clock.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      const now = clock.now();
      entries.delete(key);
      if (entries.size >= maxEntries) sweep(now);
      entries.set(key, { value, expiresAt: now + ttlMs });
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
