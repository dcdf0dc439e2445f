/**
 * Runs `run` after `firstAfterMs` (0: now) and then every `intervalMs`, in
 * this process, never two at once: a tick that finds the previous run still
 * going is skipped. Housekeeping that falls behind (a backlog of months after
 * an upgrade or a long stop, a slow database) takes longer than its interval;
 * a plain setInterval then started one more run of the same work every tick,
 * each competing with the others for the same rows and the write lock.
 * `run` must not reject (it logs its own failures). The timer does not keep
 * the process alive.
 */
export function repeatWithoutOverlap(
  run: () => Promise<void>,
  intervalMs: number,
  firstAfterMs = 0,
): NodeJS.Timeout {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    void run().finally(() => {
      running = false;
    });
  };
  if (firstAfterMs > 0) setTimeout(tick, firstAfterMs).unref();
  else tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return timer;
}
