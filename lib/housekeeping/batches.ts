/** Rows the app's housekeeping deletes per statement: each batch is its own short statement. */
export const PURGE_BATCH = 500;

/** Lets requests (and, on SQLite, other writers) in between two batches. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes every row `select` finds, `batch` keys at a time, as the server's
 * housekeeping does (server/housekeeping.ts): one statement over every
 * expired row holds SQLite's write lock — and, better-sqlite3 being
 * synchronous, the whole process's event loop — for as long as it takes
 * (250,000 rows: seconds, every ten minutes), and makes PostgreSQL one long
 * transaction. `select` gets the last key of the previous batch, for a walk
 * by key where no index serves the condition. Returns how many rows went.
 */
export async function deleteInBatches<Key>(
  select: (take: number, after: Key | undefined) => Promise<Key[]>,
  remove: (keys: Key[]) => Promise<number>,
  batch = PURGE_BATCH,
): Promise<number> {
  let removed = 0;
  let after: Key | undefined;
  for (;;) {
    const keys = await select(batch, after);
    if (keys.length > 0) removed += await remove(keys);
    if (keys.length < batch) return removed;
    after = keys[keys.length - 1];
    await yieldTurn();
  }
}
