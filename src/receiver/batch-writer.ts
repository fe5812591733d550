/**
 * Writes of one kind that arrive in the same moment (the catch hooks' captures, the runs that finish together) go to
 * the group commit as ONE operation with multi-row statements, instead of one operation — a savepoint and its own
 * statements — each. The operation is queued with the first item and takes every item queued by the time the group
 * commit runs it (the requests parsed in that turn of the event loop). Each caller still gets its answer only after
 * the shared commit. If the batch fails, each of its items is written again alone, so a bad item fails alone.
 */
import type { Store } from '../store/store.js';
import type { Transactor } from '../store/group-commit.js';

interface Item<I, R> { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }

export class BatchWriter<I, R> {
  private queue: Item<I, R>[] = [];
  private queued = false;

  constructor(
    private readonly writes: Transactor,
    /** Writes the items in the transaction, returning one result per item in order. */
    private readonly writeMany: (tx: Store, items: I[]) => Promise<R[]>,
    private readonly maxItems = 256,
  ) {}

  write(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.queued) this.submit();
    });
  }

  private submit(): void {
    this.queued = true;
    let taken: Item<I, R>[] = [];
    this.writes.transaction(async (tx) => {
      // Runs when the group commit gets to it: take what has arrived since (a retried batch takes nothing new).
      if (taken.length === 0) {
        taken = this.queue.splice(0, this.maxItems);
        this.queued = false;
        if (this.queue.length > 0) this.submit();
      }
      return this.writeMany(tx, taken.map((t) => t.item));
    }).then((results) => {
      taken.forEach((t, i) => t.resolve(results[i]!));
    }, () => {
      // One operation failed (or the commit did): each item on its own, so only a failing one fails.
      if (taken.length === 0) {
        taken = this.queue.splice(0, this.maxItems);
        this.queued = false;
        if (this.queue.length > 0) this.submit();
      }
      for (const t of taken) {
        this.writes.transaction(async (tx) => (await this.writeMany(tx, [t.item]))[0]!).then(t.resolve, t.reject);
      }
    });
  }
}
