/**
 * Runs `call` with a signal that aborts after `ms` (a DOMException named
 * "TimeoutError", as AbortSignal.timeout's), and stops the timer as soon as
 * the call settles. `call` should read the whole answer before it returns, so
 * the limit covers the body too.
 *
 * Why not AbortSignal.timeout: its timer runs for the whole limit even when
 * the request took a millisecond, and a timer keeps the AsyncLocalStorage
 * context it was created in alive. In a Next.js page that context is the
 * page's request: the request and response objects, the render state, the
 * cookies. Measured on a worker after a sign-in load: ~700 finished page
 * requests kept that way (≈ 20 MB of heap, more while the load lasted), long
 * enough to be promoted to V8's old generation, which then stays grown.
 */
export async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    ms,
  );
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
