/**
 * The delivery loop over the outbox.
 *
 * States of a delivery: pending → delivering (leased) → delivered | failed (will retry at next_attempt_at) | dead.
 * A delivering row whose lease expired (its worker died) is claimed again. Claims and results are batched: one
 * write claims up to `batchSize` rows, and results that finish close together are recorded in one transaction.
 * Wake-ups are immediate (`wake()` after an enqueue); otherwise the loop sleeps until the next row is due.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import { classifyDetermined, type RetryPolicy } from '../core/retry.js';
import type { AttemptResult, DeliveryRecord, Store, WebhookRecord } from '../store/store.js';
import { standardSecretsOf } from '../sender/webhook-service.js';
import type { HttpSender, SendResult } from './http-sender.js';

export interface WorkerOptions {
  store: Store; sender: HttpSender; clock: Clock; policy: RetryPolicy; log: Logger;
  batchSize: number; concurrency: number; leaseMs: number;
  random?: () => number;
}

export class DeliveryWorker {
  private running = false;
  private wakeResolve: (() => void) | null = null;
  private woken = false;
  private inflight = new Map<number, Promise<void>>();
  private results: AttemptResult[] = [];
  private flushing: Promise<void> | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly random: () => number;

  constructor(private readonly o: WorkerOptions) {
    this.random = o.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((e) => this.o.log.error({ err: e }, 'delivery loop crashed'));
  }

  /** New work was enqueued: claim now instead of at the next timer. */
  wake(): void {
    this.woken = true;
    this.wakeResolve?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) { this.woken = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, Math.min(ms, 60_000)));
      const self = this;
      function done() { clearTimeout(t); self.wakeResolve = null; self.woken = false; resolve(); }
      this.wakeResolve = done;
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const claimed = await this.claimOnce();
      if (!this.running) break;
      if (claimed > 0) continue;
      if (this.inflight.size >= this.o.concurrency) { await this.sleep(50); continue; }
      const next = await this.o.store.nextDueAt();
      const wait = next === null ? 60_000 : next - this.o.clock.now();
      await this.sleep(Math.max(wait, 5));
    }
  }

  /** Claims what is due and starts sending it; returns how many were claimed. Exposed for tests. */
  async claimOnce(): Promise<number> {
    const room = Math.min(this.o.batchSize, this.o.concurrency - this.inflight.size);
    if (room <= 0) return 0;
    const now = this.o.clock.now();
    const batch = await this.o.store.claimDeliveries(now, room, now + this.o.leaseMs);
    if (batch.length === 0) return 0;
    const ids = [...new Set(batch.map((d) => d.webhookId).filter((x): x is number => x !== null))];
    const hooks = new Map((await this.o.store.getWebhooks(ids)).map((w) => [w.id, w]));
    for (const d of batch) {
      const p = this.attempt(d, d.webhookId === null ? undefined : hooks.get(d.webhookId)).finally(() => this.inflight.delete(d.id));
      this.inflight.set(d.id, p);
    }
    return batch.length;
  }

  private async attempt(d: DeliveryRecord, w: WebhookRecord | undefined): Promise<void> {
    let res: SendResult;
    try {
      res = await this.o.sender.send({
        url: d.url, body: d.payload, contentType: d.contentType, signed: d.signed, eventId: d.eventId,
        standardSecrets: w && d.signed ? standardSecretsOf(w, this.o.clock.now()) : [],
      });
    } catch (e) {
      res = { outcome: 'other', statusCode: null, error: String(e), responseBody: null, remoteAddress: null, startedAt: this.o.clock.now(), durationMs: 0 };
    }
    this.results.push(this.decide(d, res));
    await this.flush();
  }

  /** What an attempt's outcome means for its delivery, under the retry policy. */
  decide(d: DeliveryRecord, res: SendResult): AttemptResult {
    const n = d.attempts + 1;
    const attempt = {
      deliveryId: d.id, attempt: n, startedAt: res.startedAt, durationMs: res.durationMs, statusCode: res.statusCode,
      outcome: res.outcome, error: res.error, responseBody: res.responseBody, remoteAddress: res.remoteAddress,
    };
    const verdict = res.outcome === 'ok' ? 'success' : res.outcome === 'http' ? classifyDetermined(res.statusCode) : 'retry';
    if (verdict === 'success') return { attempt, status: 'delivered', nextAttemptAt: null };
    if (verdict === 'retry' && n < this.o.policy.maxAttempts) {
      const delay = this.o.policy.delayAfter(n, this.random());
      this.o.log.warn({ deliveryId: d.id, webhookId: d.webhookId, attempt: n, error: res.error }, `delivery failed, retrying in ${delay} ms`);
      return { attempt, status: 'failed', nextAttemptAt: this.o.clock.now() + delay };
    }
    this.o.log.error({ deliveryId: d.id, webhookId: d.webhookId, eventId: d.eventId, attempts: n, error: res.error }, 'failed to deliver webhook');
    return { attempt, status: 'dead', nextAttemptAt: null };
  }

  /** Writes buffered results; one write at a time, so results that finish together commit together. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.results.length === 0) return;
    const batch = this.results;
    this.results = [];
    this.flushing = this.o.store.recordAttempts(batch, this.o.clock.now())
      .catch((e) => this.o.log.error({ err: e }, 'could not record delivery attempts; their leases will expire and they will be retried'))
      .finally(() => { this.flushing = null; });
    await this.flushing;
    const retryAt = batch.find((r) => r.status === 'failed');
    if (retryAt) this.wake();
  }

  /** Waits for every attempt in flight to finish and be recorded. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.flushing || this.results.length > 0) {
      await Promise.all([...this.inflight.values()]);
      await this.flush();
    }
  }

  /** Stops claiming; lets attempts in flight finish for up to `graceMs`, then hands the rest back. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    await Promise.race([this.idle(), timeout]);
    await this.o.store.releaseDeliveries([...this.inflight.keys()], this.o.clock.now());
  }
}
