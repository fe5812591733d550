/** Enforces attempt-log retention in the background: by age and by count. */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * The first sweep, this long after start: soon (a process restarted more often than every 10 minutes, the period,
 * would otherwise never sweep), but not in the middle of starting.
 */
export const FIRST_SWEEP_MS = 10_000;

export function startSweeper(o: { store: Store; clock: Clock; log: Logger; retentionMs: number; maxAttempts: number; firstAfterMs?: number; everyMs?: number }): { stop(): void; runOnce(): Promise<void> } {
  const runOnce = async () => {
    try {
      const r = await o.store.sweep(o.clock.now() - o.retentionMs, o.maxAttempts);
      if (r.deliveries || r.attempts) o.log.info(r, 'retention: deleted old deliveries and attempts');
    } catch (e) {
      o.log.error({ err: e }, 'retention sweep failed; will try again');
    }
  };
  const first = setTimeout(() => void runOnce(), o.firstAfterMs ?? FIRST_SWEEP_MS);
  first.unref();
  const timer = setInterval(() => void runOnce(), o.everyMs ?? 10 * 60_000);
  timer.unref();
  return { stop: () => { clearTimeout(first); clearInterval(timer); }, runOnce };
}
