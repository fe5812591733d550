/**
 * The sleep of a background loop that new work can cut short: `sleep(ms)` waits up to `maxMs`, `wake()` ends the
 * current sleep (or the next one, if the loop is busy when it is called), `interrupt()` ends it for shutdown.
 * Used by the flow runner and the alert notifier.
 */
export class Waker {
  private resolveSleep: (() => void) | null = null;
  private woken = false;

  constructor(private readonly maxMs: number) {}

  wake(): void {
    this.woken = true;
    const r = this.resolveSleep;
    if (r) setImmediate(r);
  }

  /** Ends the current sleep now (a stopping loop checks its own flag after it). */
  interrupt(): void {
    this.resolveSleep?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.woken) { this.woken = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      // Two wake() calls schedule this sleep's `done` twice; by the second, the loop may already sleep again with a
      // new `done`, which a stale one must not unregister (the loop would then miss every wake-up until its timer).
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        if (this.resolveSleep === done) this.resolveSleep = null;
        this.woken = false;
        resolve();
      };
      const t = setTimeout(done, Math.max(1, Math.min(ms, this.maxMs)));
      this.resolveSleep = done;
    });
  }
}
