/**
 * Enforces the delivery log's retention in the background: finished deliveries (and their attempts) older than
 * `delivery.retention_days`, and the attempts of finished deliveries past the newest `delivery.retention_max_attempts`.
 *
 * The API, the catch hooks and the engine share SQLite's one write lock: a pass is done in small transactions (at
 * most `batchRows` rows looked at in each) with a pause between them, so a write waits for one batch at most, never
 * for a whole pass (a day's deliveries at a few thousand a second are millions of rows).
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import type { Store } from '../store/store.js';
import { inBatches, schedulePasses, type Passes } from '../loop/passes.js';

/**
 * The first sweep, this long after start: soon (a process restarted more often than every 10 minutes, the period,
 * would otherwise never sweep), but not in the middle of starting.
 */
export const FIRST_SWEEP_MS = 10_000;

export interface SweepTotals { deliveries: number; attempts: number; batches: number }

export interface SweepOptions {
  before: number;
  keepAttempts: number;
  batchRows?: number;
  pauseMs?: number;
  /** Checked between batches: true ends the pass there. */
  stopped?: () => boolean;
}

/** One pass of delivery retention over `store`, batch by batch, each batch in its own transaction. */
export async function sweepDeliveryLog(store: Store, o: SweepOptions): Promise<SweepTotals> {
  const batchRows = o.batchRows ?? 500;
  const t: SweepTotals = { deliveries: 0, attempts: 0, batches: 0 };
  const opts = { pauseMs: o.pauseMs ?? 10, stopped: o.stopped ?? (() => false) };
  // Deliveries first: their attempts go with them, which leaves the attempt pass less to look at.
  await inBatches((afterId) => store.transaction((tx) => tx.sweepDeliveries({ afterId, limit: batchRows, before: o.before })),
    (r) => { t.deliveries += r.deleted; t.attempts += r.attempts; t.batches++; }, opts);
  // Taken once: attempts recorded meanwhile only move the true bound up, so the pass deletes less, never more.
  const capId = await store.attemptIdBehind(o.keepAttempts);
  await inBatches((afterId) => store.transaction((tx) => tx.sweepAttempts({ afterId, limit: batchRows, before: o.before, capId })),
    (r) => { t.attempts += r.deleted; t.batches++; }, opts);
  return t;
}

export type DeliverySweeper = Passes<SweepTotals>;

export function startSweeper(o: {
  store: Store; clock: Clock; log: Logger; retentionMs: number; maxAttempts: number; firstAfterMs?: number; everyMs?: number;
  batchRows?: number; pauseMs?: number;
}): DeliverySweeper {
  return schedulePasses({
    log: o.log, failure: 'retention sweep failed; will try again', firstAfterMs: o.firstAfterMs ?? FIRST_SWEEP_MS, everyMs: o.everyMs ?? 10 * 60_000,
    pass: async (stopped) => {
      const started = Date.now();
      const t = await sweepDeliveryLog(o.store, {
        before: o.clock.now() - o.retentionMs, keepAttempts: o.maxAttempts, batchRows: o.batchRows, pauseMs: o.pauseMs, stopped,
      });
      if (t.deliveries || t.attempts) o.log.info({ ...t, ms: Date.now() - started }, 'retention: deleted old deliveries and attempts');
      return t;
    },
  });
}
