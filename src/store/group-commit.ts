/**
 * Group commit: write operations that arrive together share one transaction, and so one commit, which is the
 * store's real cost per request (a SQLite WAL commit costs more than the statements in it). Each operation runs
 * in its own savepoint, so one that fails (a 4xx, say) rolls back alone and the others still commit; each caller
 * gets its own result or error only after the shared commit succeeded. Operations run one after another, in
 * arrival order, exactly as if each had its own transaction.
 */
import type { Store } from './store.js';

/** Anything that can run a function in a transaction: the Store itself, or a GroupCommit in front of it. */
export interface Transactor {
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
}

interface Op { fn: (tx: Store) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class GroupCommit implements Transactor {
  private queue: Op[] = [];
  private draining = false;

  constructor(private readonly store: Store, private readonly maxBatch = 256) {}

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests already parsed in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      try {
        await this.store.transaction(async (tx) => {
          for (const op of batch) {
            try {
              outcomes.push({ ok: true, value: await tx.savepoint(() => op.fn(tx)) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // The commit itself failed: nothing of the batch was written.
        for (const op of batch) op.reject(error);
        continue;
      }
      batch.forEach((op, i) => {
        const o = outcomes[i]!;
        if (o.ok) op.resolve(o.value); else op.reject(o.error);
      });
    }
    this.draining = false;
  }
}
