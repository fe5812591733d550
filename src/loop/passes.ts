/**
 * A background job done in passes (the retention of deliveries and of captures): the first pass `firstAfterMs` after
 * start, then one every `everyMs`; one pass at a time (`runOnce` during a pass waits for it); a failed pass is logged
 * and the next one tries again. `stop()` ends the schedule, tells the pass in progress to end at its next check
 * (`stopped()`), and resolves once it has.
 */
import type { Logger } from 'pino';

export interface Passes<T> {
  /** One full pass now (waits for a pass already running instead of starting a second one). */
  runOnce(): Promise<T>;
  /** No more passes; resolves when the batch in progress (if any) has committed. */
  stop(): Promise<void>;
}

export function schedulePasses<T>(o: {
  pass: (stopped: () => boolean) => Promise<T>; log: Logger; failure: string; firstAfterMs: number; everyMs: number;
}): Passes<T> {
  let stopped = false;
  let current: Promise<T> | null = null;
  const runOnce = (): Promise<T> => {
    current ??= o.pass(() => stopped).finally(() => { current = null; });
    return current;
  };
  const background = () => {
    if (stopped) return;
    runOnce().catch((e: unknown) => o.log.error({ err: e }, o.failure));
  };
  const first = setTimeout(background, o.firstAfterMs);
  first.unref();
  const timer = setInterval(background, o.everyMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await current?.catch(() => undefined);
    },
  };
}

/**
 * A pass's batches, one after another until one says there is nothing after (`next` null) or the pass is told to
 * stop: `batch(afterId)` runs one batch (in its own transaction) from where the last one ended, `each` counts it, and
 * a pause of `pauseMs` between two batches lets other writers have the lock.
 */
export async function inBatches<R extends { next: number | null }>(
  batch: (afterId: number) => Promise<R>, each: (r: R) => void, o: { pauseMs: number; stopped: () => boolean },
): Promise<void> {
  let afterId = 0;
  while (!o.stopped()) {
    const r = await batch(afterId);
    each(r);
    if (r.next === null) return;
    afterId = r.next;
    if (o.pauseMs > 0) await new Promise((res) => setTimeout(res, o.pauseMs));
  }
}
