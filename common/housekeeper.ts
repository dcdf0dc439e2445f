/**
 * Which process of a cluster does the login & consent app's housekeeping.
 * With several workers the primary picks one of them for the server's
 * housekeeping (server/main.ts, `HOUSEKEEPING`); the app's housekeeping
 * (lib/housekeeping/schedule.ts, started by Next.js's instrumentation in
 * every process that loads the pages) follows the same pick, so it runs once
 * per round, not once per worker. The primary loads neither Prisma nor
 * Next.js, so it cannot run it itself. The key is a global symbol because the
 * server and the pages are separate bundles (dist/server, Next.js's), each
 * with its own copy of this module.
 */
const HOUSEKEEPER = Symbol.for("portico.housekeeper");

interface Role {
  /** A cluster worker not picked yet: the app's housekeeping waits. */
  waiting: boolean;
  /** What waits for the pick. */
  pending: (() => void)[];
}

const holder = globalThis as typeof globalThis & { [HOUSEKEEPER]?: Role };

function role(): Role {
  holder[HOUSEKEEPER] ??= { waiting: false, pending: [] };
  return holder[HOUSEKEEPER];
}

/** Called by a cluster worker before it loads the pages: it does housekeeping only once picked. */
export function awaitHousekeeperRole(): void {
  role().waiting = true;
}

/** Called by the worker the primary picked: starts what waited for it (once). */
export function becomeHousekeeper(): void {
  const current = role();
  current.waiting = false;
  for (const start of current.pending.splice(0)) start();
}

/**
 * Runs `start` now in a process that does housekeeping (the only process,
 * `WORKERS=1`, or one that is not Portico's server, such as `next dev`), or
 * once the primary picks this worker; never in a worker it does not pick.
 */
export function whenHousekeeper(start: () => void): void {
  const current = role();
  if (current.waiting) current.pending.push(start);
  else start();
}
