/**
 * The HTTP half of delivery in a worker thread: undici, signing, reading responses and the SSRF guard run there,
 * on the second core, while the engine's bookkeeping (claims, records: the only SQLite connection) stays in the API's
 * thread. Unlike `delivery.thread` (a second engine with a second SQLite connection, which fought the API for
 * SQLite's write lock), nothing is shared but messages: requests go over in batches (one message per turn of the
 * event loop, as a JSON string: cloning one string costs less than walking objects) and results come back the same
 * way.
 *
 * The thread has no clock of its own that matters: the signature timestamp and `startedAt` are the engine's
 * (injected clocks keep working), only the duration is measured where the request is made.
 *
 * This file is both sides: `ThreadedHttpSender` (main thread) and the thread's entry (below, when not the main thread).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/types.js';
import { HttpSender, senderFailure, type OutboundRequest, type SendResult, type Sender } from './http-sender.js';
import { OutboundPolicy } from './ssrf.js';

export interface SendThreadConfig {
  outboundAllow: string[];
  timeoutMs: number;
  responseBodyBytes: number;
  connectionsPerOrigin?: number;
}

interface ThreadRequest extends OutboundRequest { timestampSec: number }
type ToThread = { t: 'send'; key: string | null; json: string } | { t: 'close' } | { t: 'destroy'; reason: string };
type FromThread = { t: 'results'; json: string } | { t: 'closed' };

/** Heap limits of the sending thread (old and young generation), in MB: it keeps only what is in flight. */
const OLD_SPACE_MB = 128;
const YOUNG_SPACE_MB = 16;

export class ThreadedHttpSender implements Sender {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: SendResult) => void; startedAt: number }>();
  private outbox: [number, ThreadRequest][] = [];
  private scheduled = false;
  private sentKey: string | null = null;
  private closing = false;

  constructor(
    private readonly cfg: SendThreadConfig,
    private readonly opts: { signingKey: () => string; clock: Clock; log: Logger },
  ) {}

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL(import.meta.url), {
      workerData: { sendThread: this.cfg },
      resourceLimits: { maxOldGenerationSizeMb: OLD_SPACE_MB, maxYoungGenerationSizeMb: YOUNG_SPACE_MB },
    });
    // Held (ref) only while attempts are in flight: an idle sender does not keep the process alive, a busy one does.
    w.unref();
    this.worker = w;
    this.sentKey = null;
    w.on('message', (m: FromThread) => {
      if (m.t !== 'results') return;
      for (const [id, r] of JSON.parse(m.json) as [number, SendResult][]) {
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        r.startedAt = p.startedAt; // (a fresh object: no copy needed)
        p.resolve(r);
      }
      if (this.pending.size === 0) w.unref();
    });
    w.on('error', (e) => this.opts.log.error({ err: e }, 'the delivery sending thread failed'));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      // What it was sending has no known outcome: each attempt fails (and is retried under its policy). The
      // next send starts a new thread.
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const p of lost) {
        p.resolve(senderFailure(`the sending thread exited (code ${code}) before the attempt ended`, p.startedAt));
      }
      if (!this.closing && lost.length) this.opts.log.error({ code, lost: lost.length }, 'the delivery sending thread exited');
    });
    return w;
  }

  send(req: OutboundRequest): Promise<SendResult> {
    const startedAt = this.opts.clock.now();
    if (this.closing) return Promise.resolve(senderFailure(this.destroyed ?? 'the sender is shutting down', startedAt));
    const id = this.nextId++;
    this.outbox.push([id, { ...req, timestampSec: req.timestampSec ?? Math.floor(startedAt / 1000) }]);
    if (!this.scheduled) {
      this.scheduled = true;
      // The engine starts a claimed batch's attempts in one synchronous loop: they leave in one message.
      queueMicrotask(() => this.flush());
    }
    return new Promise<SendResult>((resolve) => this.pending.set(id, { resolve, startedAt }));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    const w = this.ensureWorker();
    w.ref();
    const key = this.opts.signingKey();
    w.postMessage({ t: 'send', key: key === this.sentKey ? null : key, json: JSON.stringify(batch) } satisfies ToThread);
    this.sentKey = key;
  }

  async close(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    if (!w) return;
    const closed = new Promise<void>((resolve) => {
      w.on('message', (m: FromThread) => { if (m.t === 'closed') resolve(); });
      w.once('exit', () => resolve());
    });
    w.ref(); // until it has closed its sockets
    w.postMessage({ t: 'close' } satisfies ToThread);
    await closed;
    await w.terminate();
  }

  private destroyed: string | null = null;

  async destroy(reason: string): Promise<void> {
    if (this.destroyed !== null) return;
    this.destroyed = reason;
    this.closing = true;
    this.outbox = [];
    // The engine does not wait on the thread: every attempt in flight ends here, now; what the thread answers for
    // them later finds nothing pending and is ignored.
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) p.resolve(senderFailure(reason, p.startedAt));
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    const closed = new Promise<void>((resolve) => {
      w.on('message', (m: FromThread) => { if (m.t === 'closed') resolve(); });
      w.once('exit', () => resolve());
    });
    w.ref();
    // The thread aborts its requests and destroys its connections (HttpSender.destroy); ended anyway if it does not
    // say so within a second.
    w.postMessage({ t: 'destroy', reason } satisfies ToThread);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => { timer = setTimeout(r, DESTROY_WAIT_MS); })]);
    clearTimeout(timer);
    await w.terminate();
  }
}

const DESTROY_WAIT_MS = 1000;

function runThread(cfg: SendThreadConfig): void {
  const port = parentPort!;
  let key = '';
  const sender = new HttpSender({
    signingKey: () => key, timeoutMs: cfg.timeoutMs, clock: systemClock, policy: new OutboundPolicy(cfg.outboundAllow),
    responseBodyBytes: cfg.responseBodyBytes, connectionsPerOrigin: cfg.connectionsPerOrigin,
  });
  let results: [number, SendResult][] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const list = results;
    results = [];
    port.postMessage({ t: 'results', json: JSON.stringify(list) } satisfies FromThread);
  };
  const done = (id: number, r: SendResult) => {
    results.push([id, r]);
    // Results that finish in the same turn of the event loop go back in one message.
    if (!scheduled) { scheduled = true; setImmediate(flush); }
  };
  port.on('message', (m: ToThread) => {
    if (m.t === 'close' || m.t === 'destroy') {
      const closing = m.t === 'close' ? sender.close() : sender.destroy(m.reason);
      void closing.catch(() => {}).then(() => { port.postMessage({ t: 'closed' } satisfies FromThread); port.close(); });
      return;
    }
    if (m.key !== null) key = m.key;
    for (const [id, req] of JSON.parse(m.json) as [number, ThreadRequest][]) {
      sender.send(req).then((r) => done(id, r), (e) => done(id, senderFailure(String(e), 0)));
    }
  });
}

if (!isMainThread && (workerData as { sendThread?: SendThreadConfig } | null)?.sendThread) {
  runThread((workerData as { sendThread: SendThreadConfig }).sendThread);
}
