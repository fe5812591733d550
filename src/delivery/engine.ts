/**
 * What the rest of Switchyard sees of the delivery engine, wherever it runs: in this thread (DeliveryWorker, used
 * with an injected clock) or in a worker thread with its own SQLite connection (ThreadedEngine, the default).
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
}
