/** The primary runs its own entry again with this flag for migrations and bootstrap (server/setup.ts). */
export const SETUP_FLAG = "--portico-setup";
/** What a worker sends the primary once it listens on both ports. */
export const READY = "portico:ready";
/** What the primary sends the one worker that purges expired flow state. */
export const HOUSEKEEPING = "portico:housekeeping";
/** What a worker that could not start sends the primary: `{ [START_PROBLEM]: line }`, the one line to print. */
export const START_PROBLEM = "portico:start-problem";
