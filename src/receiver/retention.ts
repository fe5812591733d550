/**
 * Receiver retention, in the background: captures and runs older than `receiver.retention_days`, and each flow's
 * captures past its newest `receiver.retention_max_captures_per_flow`, are deleted.
 *
 * The rule that keeps runs whole: a capture is deleted together with its runs and their steps, never before them. So
 * a capture stays while any of its runs is queued, running or retrying; by age, also while any of its runs finished
 * after the cutoff (a recent replay of an old capture keeps it). A finished run older than the cutoff goes on its
 * own, its capture staying if it must. Never deleted: a flow's sample capture, a run that is not finished, and a
 * capture with a dedup key inside its flow's dedup window (deduplication looks for it).
 *
 * The catch hooks and the runner share SQLite's one write lock (and, here, one connection): the work is done in
 * small transactions — at most `batchRows` rows looked at and about `batchBytes` of bodies deleted in each — with a
 * pause between them, so a capture waits for one batch at most, never for a whole pass.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import type { Store, SweepBatch } from '../store/store.js';
import { inBatches, schedulePasses, type Passes } from '../loop/passes.js';

/** The first pass, this long after start: soon, but not in the middle of starting (runs resuming, hooks warming). */
export const FIRST_PASS_MS = 10_000;

export interface RetentionTotals { captures: number; runs: number; bytes: number; batches: number }

export interface ReceiverRetentionOptions {
  store: Store; clock: Clock; log: Logger;
  maxAgeMs: number;
  /** Captures kept per flow (the newest), at least. */
  keepPerFlow: number;
  firstAfterMs?: number; everyMs?: number;
  batchRows?: number; batchBytes?: number; pauseMs?: number;
}

export type ReceiverRetention = Passes<RetentionTotals>;

export function startReceiverRetention(o: ReceiverRetentionOptions): ReceiverRetention {
  const batchRows = o.batchRows ?? 250;
  const batchBytes = o.batchBytes ?? 16 * 1024 * 1024;
  const pauseMs = o.pauseMs ?? 10;

  const pass = async (stopped: () => boolean): Promise<RetentionTotals> => {
    const t: RetentionTotals = { captures: 0, runs: 0, bytes: 0, batches: 0 };
    /** Batches until there is nothing after, each in its own transaction, with a pause between them. */
    const drain = (batch: (afterId: number) => (tx: Store) => Promise<SweepBatch>) => inBatches(
      (afterId) => o.store.transaction(batch(afterId)),
      (r) => { t.captures += r.captures; t.runs += r.runs; t.bytes += r.bytes; t.batches++; },
      { pauseMs, stopped });
    const started = Date.now();
    const now = o.clock.now();
    const before = now - o.maxAgeMs;
    const flows = await o.store.listFlows();
    const dedupSince = new Map<number, number>();
    for (const f of flows) {
      const w = (f.definition as { dedup?: { windowSeconds?: unknown } } | null)?.dedup?.windowSeconds;
      if (typeof w === 'number') dedupSince.set(f.id, now - w * 1000);
    }
    try {
      // By age: the oldest captures first (ids grow with time), stopping at the first one younger than the cutoff.
      await drain((afterId) => (tx) => tx.sweepCaptures({
        afterId, limit: batchRows, maxBytes: batchBytes, receivedBefore: before, runsFinishedBefore: before, dedupSince,
      }));
      // By count: per flow, the captures older than its newest `keepPerFlow` (finished runs of any age go with them).
      for (const f of flows) {
        if (stopped()) break;
        // Taken once: captures arriving meanwhile only move the true bound up, so the pass deletes less, never more.
        const maxId = await o.store.captureIdBehind(f.id, o.keepPerFlow);
        if (maxId === null) continue;
        await drain((afterId) => (tx) => tx.sweepCaptures({
          afterId, limit: batchRows, maxBytes: batchBytes, flowId: f.id, maxId,
          runsFinishedBefore: Number.MAX_SAFE_INTEGER, dedupSince,
        }));
      }
      // Finished runs older than the cutoff whose capture stays (a sample, a capture still within the count).
      await drain((afterId) => (tx) => tx.sweepRuns({ afterId, limit: batchRows, before }));
    } finally {
      if (t.captures || t.runs) {
        o.log.info({ ...t, ms: Date.now() - started }, 'retention: deleted old captures and runs');
      }
    }
    return t;
  };

  return schedulePasses({
    pass, log: o.log, failure: 'receiver retention failed; will try again',
    firstAfterMs: o.firstAfterMs ?? FIRST_PASS_MS, everyMs: o.everyMs ?? 10 * 60_000,
  });
}
