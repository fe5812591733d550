import type { DeliveryRecord, WebhookRecord } from '../store/store.js';

/**
 * What the rest of Switchyard sees of the delivery engine, wherever it runs: in this thread (DeliveryWorker, the
 * default) or in a worker thread with its own SQLite connection (ThreadedEngine, `delivery.thread`).
 */
export interface DeliveryEngine {
  /** Starts claiming; resolves once the engine runs. */
  start(): void | Promise<void>;
  /** New work was enqueued (or a webhook resumed): claim now rather than at the next timer. */
  wake(): void;
  /** Forget cached webhook settings (after an edit); all of them without an id. */
  invalidate(webhookId?: number): void;
  /** Attempts in flight now (the threaded engine reports it within about 100 ms). */
  readonly inFlight: number;
  /** Stops claiming; lets attempts in flight finish for up to `graceMs`, then hands the rest back. */
  stop(graceMs?: number): Promise<void>;
  /** A handoff for one write that enqueues deliveries (engines in this thread only); see Handoff. */
  handoff?(): Handoff;
}

/**
 * Direct handoff of new deliveries to the engine, skipping the claim. A write that enqueues deliveries asks, for
 * each, whether the engine takes it now (`take`: its room, the webhook's room; never for a paused, disabled or FIFO
 * webhook). A taken delivery is written already leased (status delivering, `leaseUntil`), so it needs no claim
 * statement; if the process dies, it is claimed again when the lease expires, like any claimed delivery. After the
 * write commits, `commit()` starts sending what was taken and wakes the engine for what it did not take; if the
 * write fails or rolls back, `abort()` gives the room back. Exactly one of the two must be called.
 */
export interface Handoff {
  /** The lease of a new delivery for this webhook if the engine takes it now; null: it stays pending for a claim. */
  take(w: WebhookRecord): number | null;
  /** A taken delivery as written (its id known), to be sent on commit. */
  taken(d: DeliveryRecord, w: WebhookRecord): void;
  commit(): void;
  abort(): void;
}
