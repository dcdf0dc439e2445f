import DataLoader from "dataloader";

/**
 * The calls made in one turn of the event loop, handled together: `run` gets every key asked for
 * (in order, repeats kept) on the next turn, after all of them were asked, and answers one result per
 * key, in the same order — a value, or an Error that fails that call alone. Nothing is cached: a
 * call made after `run` started waits for the next batch, so it sees every write committed before
 * it was made.
 */
export function perTurn<K, V>(
  run: (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>,
): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>(run, {
    cache: false,
    batchScheduleFn: (callback) => setImmediate(callback),
  });
  return (key) => loader.load(key);
}

/** What failed, as the Error a batch answers for one key. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
