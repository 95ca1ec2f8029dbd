/**
 * Sets `key` to `value` as the newest entry of `map`, first dropping the oldest entry when the map
 * already holds `max` others: what an isolate keeps per key must stay bounded however many keys
 * it sees. Maps iterate in insertion order, so the first entry is the oldest.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.delete(key) && map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
