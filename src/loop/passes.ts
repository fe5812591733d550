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
