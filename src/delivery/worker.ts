/**
 * The delivery engine's loop over the outbox.
 *
 * States of a delivery: pending → delivering (leased) → delivered | failed (retry due at next_attempt_at) | dead.
 * A delivering row whose lease expired (its worker died) is claimed again, so delivery is at-least-once; receivers
 * deduplicate on event_id (Standard Webhooks: webhook-id). Claims are batched (one transaction leases up to
 * `batchSize` rows) and results are group-committed (attempts that finish together are written in one transaction).
 * Wake-ups are immediate (`wake()` after an enqueue); otherwise the loop sleeps until the next row is due.
 *
 * New deliveries mostly skip the claim: the write that creates them asks `handoff()` whether the engine has room,
 * writes those it takes already leased, and they are sent as soon as it commits (see Handoff in engine.ts). A crash
 * leaves them leased, so they are claimed again when the lease expires, exactly like claimed ones.
 *
 * Fairness: each webhook has at most `maxConcurrency` requests in flight (default `perWebhookConcurrency`), so one
 * slow endpoint cannot take the others' slots; a FIFO webhook has one, and the store hands out only its oldest open
 * delivery. Paused and disabled webhooks are not claimed: their deliveries wait.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/types.js';
import { classify, delayAfter, nextWait, parseRetryAfter, policyFor, type RetryPolicy } from '../core/retry.js';
import { ORPHANS, type AttemptResult, type ClaimRequest, type DeliveryRecord, type RecordOutcome, type Store, type WebhookRecord } from '../store/store.js';
import type { Transactor } from '../store/group-commit.js';
import { standardSecretsOf } from '../sender/webhook-service.js';
import { senderFailure, type Sender, type SendResult } from './http-sender.js';
import type { EngineEvents } from './engine-events.js';
import type { Handoff } from './engine.js';
import { attemptTimeoutCap } from './timeouts.js';

export interface WorkerOptions {
  store: Store; sender: Sender; clock: Clock; log: Logger; events: EngineEvents;
  /**
   * Where attempts are recorded: the store, or the API's group commit, so that records and the API's writes that
   * arrive together share one commit (default: the store).
   */
  writes?: Transactor;
  /** The policy of webhooks that name none. */
  policy: RetryPolicy;
  batchSize: number; concurrency: number; perWebhookConcurrency: number; leaseMs: number; defaultTimeoutMs: number;
  /** Disable a webhook whose attempts have all failed for this long (0 = never). */
  disableAfterMs: number;
  random?: () => number;
}

const WEBHOOK_CACHE_MS = 1000;

export class DeliveryWorker {
  private running = false;
  private wakeResolve: (() => void) | null = null;
  private woken = false;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly perWebhook = new Map<number, number>();
  private results: AttemptResult[] = [];
  private flushing: Promise<void> | null = null;
  private loopDone: Promise<void> | null = null;
  private readonly hooks = new Map<number, { w: WebhookRecord | null; until: number }>();
  private readonly random: () => number;

  constructor(private readonly o: WorkerOptions) {
    this.random = o.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((e) => this.o.log.error({ err: e }, 'delivery loop stopped by an error'));
  }

  /**
   * New work was enqueued (or a webhook resumed): claim soon instead of at the next timer. Wakes within one
   * millisecond are coalesced, so a burst of events is claimed in one batch rather than one claim per event.
   */
  wake(): void {
    this.backlog = true;
    this.wakes++;
    if (this.woken) return;
    this.woken = true;
    if (this.wakeResolve && !this.wakeTimer) {
      this.wakeTimer = setTimeout(() => { this.wakeTimer = null; this.wakeResolve?.(); }, 1);
    }
  }
  private wakeTimer: NodeJS.Timeout | null = null;
  /**
   * Whether due deliveries may be waiting in the store. False after a claim that found less than it asked for while
   * no webhook was at its limit, until the next wake-up (new work not handed off, a retry, a resume, …): the flush
   * that records attempts then skips its claim, whose statements would find nothing. The loop still looks for due
   * work on its own timer.
   */
  private backlog = true;
  private wakes = 0;

  /** After a claim: is there possibly more due work than it got? */
  private noteClaim(claimed: number, limit: number, wakesBefore: number): void {
    if (claimed >= limit || this.wakes !== wakesBefore) { this.backlog = true; return; }
    for (const [id, n] of this.perWebhook) {
      const w = this.hooks.get(id)?.w;
      if (n >= (w ? this.limitOf(w) : this.o.perWebhookConcurrency)) { this.backlog = true; return; }
    }
    this.backlog = false;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) { this.woken = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.wakeResolve = null; this.woken = false; resolve(); };
      const t = setTimeout(done, Math.max(0, Math.min(ms, 30_000)));
      this.wakeResolve = done;
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.claimOnce();
      } catch (e) {
        this.o.log.error({ err: e }, 'could not claim deliveries; trying again in 1 s');
        await this.sleep(1000);
        continue;
      }
      if (!this.running) break;
      if (claimed > 0) continue;
      if (this.inflight.size >= this.o.concurrency) { await this.sleep(1000); continue; }
      const next = await this.o.store.nextDueAt().catch(() => null);
      const wait = next === null ? 30_000 : next - this.o.clock.now();
      // Due but not claimable (its webhooks have no room, or are paused): attempts that finish claim their freed
      // room themselves (flush), and new work wakes the loop; poll only every 100 ms rather than every 2 ms (each
      // empty claim takes the write lock, which the API's writes then wait for).
      await this.sleep(wait <= 0 ? 100 : Math.max(wait, 2));
    }
  }

  /** Requests in flight a webhook may have; deliveries without one (ORPHANS, or not cached) have the default. */
  private limitOf(w: WebhookRecord | null): number {
    if (!w) return this.o.perWebhookConcurrency;
    if (w.fifo) return 1;
    return w.maxConcurrency ?? this.o.perWebhookConcurrency;
  }

  private async webhooks(ids: number[]): Promise<Map<number, WebhookRecord | null>> {
    const now = Date.now();
    const missing = ids.filter((id) => (this.hooks.get(id)?.until ?? 0) < now);
    if (missing.length) {
      const found = new Map((await this.o.store.getWebhooks(missing)).map((w) => [w.id, w]));
      for (const id of missing) this.hooks.set(id, { w: found.get(id) ?? null, until: now + WEBHOOK_CACHE_MS });
      if (this.hooks.size > 10_000) this.hooks.clear();
    }
    return new Map(ids.map((id) => [id, this.hooks.get(id)?.w ?? null]));
  }

  /**
   * The engine's store work (claims, and records that claim in the same transaction) runs one at a time, so each
   * claim sees the room the previous one left.
   */
  private storeQueue: Promise<unknown> = Promise.resolve();
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.storeQueue.then(fn, fn);
    this.storeQueue = p.catch(() => undefined);
    return p;
  }

  /** How much to claim now: global room, and each webhook's (limits of webhooks not cached yet: the default). */
  private claimRequest(now: number): ClaimRequest | null {
    // Results not yet recorded count against the room: sent-but-unrecorded deliveries (what a crash sends again)
    // stay within `concurrency`. (A flush's own results commit in the same transaction as its claim.)
    const room = Math.min(this.o.batchSize, this.o.concurrency - this.inflight.size - this.results.length - this.reserved);
    if (room <= 0) return null;
    const roomFor = (id: number): number => {
      const w = this.hooks.get(id)?.w;
      const limit = w ? this.limitOf(w) : this.o.perWebhookConcurrency;
      return limit - (this.perWebhook.get(id) ?? 0);
    };
    const saturated = [...this.perWebhook.keys()].filter((id) => roomFor(id) <= 0);
    return { limit: room, leaseUntil: now + this.o.leaseMs, opts: { excludeWebhooks: saturated, roomFor } };
  }

  /** Claims what is due and starts sending it; returns how many were claimed. */
  async claimOnce(): Promise<number> {
    return this.exclusive(async () => {
      const now = this.o.clock.now();
      const req = this.claimRequest(now);
      if (!req) return 0;
      const wakes = this.wakes;
      const batch = await this.o.store.claimDeliveries(now, req.limit, req.leaseUntil, req.opts);
      const started = await this.dispatch(batch, now);
      this.noteClaim(batch.length, req.limit, wakes);
      return started;
    });
  }

  /** Starts sending what was claimed; returns how many started. */
  private async dispatch(batch: DeliveryRecord[], now: number): Promise<number> {
    if (batch.length === 0) return 0;
    const ids = [...new Set(batch.map((d) => d.webhookId).filter((x): x is number => x !== null))];
    const hooks = await this.webhooks(ids);
    const overflow: number[] = [];
    for (const d of batch) {
      const w = d.webhookId === null ? null : hooks.get(d.webhookId) ?? null;
      // Only when a webhook's settings were not cached at claim time (e.g. FIFO, or a lower maxConcurrency).
      const key = d.webhookId ?? ORPHANS;
      const n = this.perWebhook.get(key) ?? 0;
      if (n >= this.limitOf(w)) { overflow.push(d.id); continue; }
      this.perWebhook.set(key, n + 1);
      this.send(d, w);
    }
    // Claimed beyond a webhook's room in this batch: hand back at once, due now, for the next claim.
    if (overflow.length) {
      await this.o.store.releaseDeliveries(overflow, now);
      this.wake();
    }
    return batch.length - overflow.length;
  }

  /** Sends a delivery whose slot of its webhook is already counted in `perWebhook`. */
  private send(d: DeliveryRecord, w: WebhookRecord | null): void {
    // A freed slot needs no wake-up: the attempt's result is recorded by a flush, which claims again.
    const key = d.webhookId ?? ORPHANS;
    const p = this.attempt(d, w).finally(() => {
      this.inflight.delete(d.id);
      const n = (this.perWebhook.get(key) ?? 1) - 1;
      if (n <= 0) this.perWebhook.delete(key); else this.perWebhook.set(key, n);
    });
    this.inflight.set(d.id, p);
  }

  /** Slots taken by handoffs whose writes have not committed (or failed) yet. */
  private reserved = 0;
  /** Webhooks this engine disabled since their settings were last invalidated: never taken by a handoff. */
  private readonly disabledHere = new Set<number>();

  /**
   * A handoff for one write that enqueues deliveries (see Handoff in engine.ts): what it takes is sent as soon as
   * the write commits, without a claim. Counted against the same room as claims (global and per webhook).
   */
  handoff(): Handoff {
    const slots: number[] = [];
    const started: { d: DeliveryRecord; w: WebhookRecord }[] = [];
    let open = true;
    let declined = 0;
    const giveBack = (webhookIds: number[]) => {
      for (const id of webhookIds) {
        const n = (this.perWebhook.get(id) ?? 1) - 1;
        if (n <= 0) this.perWebhook.delete(id); else this.perWebhook.set(id, n);
      }
    };
    return {
      take: (w) => {
        if (!open) return null;
        const n = this.perWebhook.get(w.id) ?? 0;
        if (!this.running || w.paused || w.disabledAt !== null || w.fifo || this.disabledHere.has(w.id) || n >= this.limitOf(w)
          || this.o.concurrency - this.inflight.size - this.results.length - this.reserved <= 0) {
          declined++;
          return null;
        }
        this.perWebhook.set(w.id, n + 1);
        this.reserved++;
        // Its settings, as read by the write, serve the claims that follow (their room for this webhook).
        const now = Date.now();
        if ((this.hooks.get(w.id)?.until ?? 0) < now) this.hooks.set(w.id, { w, until: now + WEBHOOK_CACHE_MS });
        slots.push(w.id);
        return this.o.clock.now() + this.o.leaseMs;
      },
      taken: (d, w) => { if (open) started.push({ d, w }); },
      commit: () => {
        if (!open) return;
        open = false;
        this.reserved -= slots.length;
        // Taken but not written (the write enqueued fewer rows than it took): give those slots back.
        const written = new Map<number, number>();
        for (const { w } of started) written.set(w.id, (written.get(w.id) ?? 0) + 1);
        giveBack(slots.filter((id) => {
          const left = written.get(id) ?? 0;
          if (left > 0) { written.set(id, left - 1); return false; }
          return true;
        }));
        if (!this.running) {
          // Stopped meanwhile: hand them back to the store (due now) for the next start, as stop() does.
          giveBack(started.map(({ w }) => w.id));
          const ids = started.map(({ d }) => d.id);
          if (ids.length) {
            this.o.store.releaseDeliveries(ids, this.o.clock.now()).catch((e) => {
              this.o.log.error({ err: e }, 'could not release deliveries taken while stopping; they will be claimed when their leases expire');
            });
          }
          return;
        }
        for (const { d, w } of started) this.send(d, w);
        // What it did not take waits pending: claim it now rather than at the next timer.
        if (declined > 0) this.wake();
      },
      abort: () => {
        if (!open) return;
        open = false;
        this.reserved -= slots.length;
        giveBack(slots);
      },
    };
  }

  private async attempt(d: DeliveryRecord, w: WebhookRecord | null): Promise<void> {
    let res: SendResult;
    try {
      res = await this.o.sender.send({
        url: d.url, body: d.payload, contentType: d.contentType, signed: d.signed, eventId: d.eventId,
        standardSecrets: w && d.signed ? standardSecretsOf(w, this.o.clock.now()) : [],
        // An attempt must end before its lease does, or another worker could send it again meanwhile.
        timeoutMs: Math.min(w?.timeoutMs ?? this.o.defaultTimeoutMs, attemptTimeoutCap(this.o.leaseMs)),
      });
    } catch (e) {
      res = senderFailure(String(e), this.o.clock.now());
    }
    // Aborted at shutdown and handed back (stop()): the abort is no outcome of the endpoint's, and the delivery is
    // no longer this engine's to record.
    if (this.abandoned.has(d.id)) return;
    const r = this.decide(d, w, res);
    this.o.events.emit('delivery:attempt', {
      deliveryId: d.id, webhookId: d.webhookId, outcome: res.outcome, statusCode: res.statusCode, durationMs: res.durationMs, status: r.status,
    });
    this.results.push(r);
    this.scheduleFlush();
  }

  private flushScheduled = false;
  /** Results that finish in the same turn of the event loop are written in one transaction. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** What an attempt's outcome means for its delivery and its webhook, under the webhook's retry policy. */
  decide(d: DeliveryRecord, w: WebhookRecord | null, res: SendResult): AttemptResult {
    const n = d.attempts + 1;
    const policy = policyFor(w?.retryPolicy ?? null, this.o.policy);
    const attempt = {
      deliveryId: d.id, webhookId: d.webhookId, attempt: n, startedAt: res.startedAt, durationMs: res.durationMs,
      statusCode: res.statusCode, outcome: res.outcome, error: res.error, responseBody: res.responseBody,
      remoteAddress: res.remoteAddress, url: d.url, requestHeaders: res.requestHeaders, responseHeaders: res.responseHeaders,
    };
    const verdict = classify(policy, res.statusCode, res.outcome === 'refused');
    const leaseUntil = d.leaseUntil;
    if (verdict === 'success') return { attempt, status: 'delivered', nextAttemptAt: null, webhook: 'healthy', leaseUntil };
    // Failures only (a child logger per attempt costs more than the attempt's bookkeeping on the hot path).
    const log = this.o.log.child({ deliveryId: d.id, webhookId: d.webhookId, eventId: d.eventId, attempt: n });
    switch (verdict) {
      case 'gone':
        log.warn({ statusCode: 410 }, 'endpoint answered 410 Gone: disabling the webhook');
        return { attempt, status: 'dead', nextAttemptAt: null, webhook: { disable: 'the endpoint answered 410 Gone' }, leaseUntil };
      case 'retry': {
        const wait = delayAfter(policy, n, this.random());
        if (wait !== null) {
          const ms = nextWait(wait, parseRetryAfter(res.retryAfter ?? undefined, this.o.clock.now()));
          log.info({ error: res.error, retryInMs: ms }, 'delivery attempt failed; will retry');
          return { attempt, status: 'failed', nextAttemptAt: this.o.clock.now() + ms, webhook: 'failing', leaseUntil };
        }
        log.error({ error: res.error, attempts: n, policy: policy.name }, 'failed to deliver webhook: retries exhausted');
        return { attempt, status: 'dead', nextAttemptAt: null, webhook: 'failing', leaseUntil };
      }
      case 'final':
        log.error({ error: res.error, statusCode: res.statusCode }, 'failed to deliver webhook: final error, not retried');
        return { attempt, status: 'dead', nextAttemptAt: null, webhook: 'failing', leaseUntil };
    }
  }

  /**
   * Writes buffered results and, in the same transaction, claims the room they freed: one commit per engine cycle.
   * One write at a time, so results that finish together commit together. The alerts the results raise (a delivery
   * died, a webhook was disabled) are written by the same transaction (see Store.recordAttempts).
   */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.results.length === 0) return;
    const batch = this.results;
    this.results = [];
    let full = false;
    this.flushing = this.exclusive(async () => {
      const now = this.o.clock.now();
      const claim = this.running && this.backlog ? this.claimRequest(now) : null;
      const wakes = this.wakes;
      const disableSince = this.o.disableAfterMs > 0 ? now - this.o.disableAfterMs : undefined;
      let out: RecordOutcome;
      try {
        out = this.o.writes
          ? await this.o.writes.transaction((tx) => tx.recordAttempts(batch, now, disableSince, claim ?? undefined))
          : await this.o.store.recordAttempts(batch, now, disableSince, claim ?? undefined);
      } catch (e) {
        // Nothing of the batch was written (attempts, deliveries' states, alerts): their leases run out and they are
        // claimed again.
        this.o.log.error({ err: e, deliveries: batch.length }, 'could not record delivery attempts; their leases will expire and they will be sent again');
        return;
      }
      if (out.claimed?.length) {
        full = out.claimed.length >= claim!.limit;
        await this.dispatch(out.claimed, now).catch((e) => {
          this.o.log.error({ err: e }, 'could not start claimed deliveries; their leases will expire and they will be sent then');
        });
      }
      if (claim) this.noteClaim(out.claimed?.length ?? 0, claim.limit, wakes);
      try {
        this.announce(out);
      } catch (e) {
        this.o.log.error({ err: e }, 'an engine event listener failed (the attempts and their alerts are recorded)');
      }
    }).finally(() => { this.flushing = null; });
    await this.flushing;
    // A retry may be due soon; a full claim may have left more due work.
    if (full || batch.some((r) => r.status === 'failed')) this.wake();
  }

  /** After the commit: what the record changed, for logs, metrics and the alert notifier (engine events). */
  private announce(out: RecordOutcome): void {
    for (const d of out.deadDeliveries) {
      this.o.events.emit('delivery:dead', { deliveryId: d.deliveryId, webhookId: d.webhookId, eventId: d.eventId, error: d.error });
    }
    for (const w of out.disabledWebhooks) {
      this.hooks.delete(w.id);
      this.disabledHere.add(w.id);
      this.o.events.emit('webhook:disabled', { webhookId: w.id, name: w.name, reason: w.reason });
      this.o.log.error({ webhookId: w.id, reason: w.reason }, `webhook "${w.name}" disabled`);
    }
  }

  /** Forget cached webhook settings (after an edit). */
  invalidate(webhookId?: number): void {
    if (webhookId === undefined) { this.hooks.clear(); this.disabledHere.clear(); } else { this.hooks.delete(webhookId); this.disabledHere.delete(webhookId); }
  }

  /** Waits for every attempt in flight to finish and be recorded. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.flushing || this.results.length > 0) {
      await Promise.all([...this.inflight.values()]);
      await this.flush();
    }
  }

  /** Deliveries whose attempts stop() aborted and handed back: whatever their sends return is dropped. */
  private readonly abandoned = new Set<number>();

  /**
   * Stops claiming; lets attempts in flight finish (and be recorded) for up to `graceMs`. Then aborts those still in
   * flight (Sender.destroy: their connections are dropped; nothing waits for their answers, so the process can end
   * now), hands their deliveries back (pending, or failed if they had attempts before; due now: the next start sends
   * them again) and drops what their sends return, so no late result is written over a handed-back row. Results
   * already in hand are recorded before it returns.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => { timer = setTimeout(r, graceMs); });
    await Promise.race([this.idle(), timeout]);
    clearTimeout(timer);
    const left = [...this.inflight.keys()];
    if (left.length > 0) {
      for (const id of left) this.abandoned.add(id);
      this.o.log.warn({ deliveries: left.length, graceMs }, 'shutdown grace period ran out: aborting the attempts still in flight; their deliveries are sent again at the next start');
      await this.o.sender.destroy(`aborted: the server shut down before the endpoint answered (delivery.shutdown_grace_ms ${graceMs} ran out)`)
        .catch((e) => this.o.log.error({ err: e }, 'could not abort the attempts in flight'));
      try {
        await this.o.store.releaseDeliveries(left, this.o.clock.now());
      } catch (e) {
        this.o.log.error({ err: e, deliveries: left }, 'could not hand back the deliveries in flight; they will be claimed when their leases expire');
      }
      // Their sends end now (the sender resolved them); a sender that does not is not waited for beyond a second.
      let t2: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...this.inflight.values()]), new Promise<void>((r) => { t2 = setTimeout(r, 1000); })]);
      clearTimeout(t2);
    }
    // Attempts that finished within the grace period and are not recorded yet: recorded now, before the store closes.
    while (this.flushing || this.results.length > 0) await this.flush();
  }
}
