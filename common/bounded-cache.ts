import { LRUCache } from "lru-cache";

/**
 * An in-process cache of at most `entries` values: beyond that, the least
 * recently used goes first. Bounded through lru-cache's `maxSize` with each
 * entry counting 1 rather than through its `max`: with `max`, lru-cache
 * allocates its tables for every entry up front (≈ 21 bytes each, ≈ 1 MB per
 * 50,000) in every process, for caches that mostly stay far from full; sized,
 * they grow with the entries actually kept.
 */
export function boundedCache<K extends {}, V extends {}>(entries: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: entries, sizeCalculation: () => 1 });
}
