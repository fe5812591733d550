/**
 * The delivery engine in a worker thread: its own SQLite connection (WAL mode lets the API's connection and this
 * one work at once; writers take turns under BEGIN IMMEDIATE and busy_timeout), its own undici pools and its own
 * event loop, so HTTP ingest and delivery each get a core. The main thread talks to it by messages (wake,
 * invalidate, stop) and one shared word (wake pending); the engine's events come back in batches for /metrics.
 *
 * This file is both sides: `ThreadedEngine` (main thread) and the thread's entry (below, when not the main thread).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { DeliveryEngine } from './engine.js';
import { EngineEvents, type EngineEventMap } from './engine-events.js';

export interface EngineThreadConfig {
  dbPath: string;
  /** database.synchronous, for this thread's own connection (the setting is per connection). */
  synchronous?: 'normal' | 'full';
  /** database.cache_mb, for this thread's own connection (its page cache is its own). */
  cacheMb?: number;
  signingKey: string;
  outboundAllow: string[];
  logLevel: string;
  policy: 'default' | 'determined';
  batchSize: number; concurrency: number; perWebhookConcurrency: number; leaseMs: number; timeoutMs: number;
  disableAfterMs: number; responseBodyBytes: number;
}

type EventMessage = { [K in keyof EngineEventMap]: [K, EngineEventMap[K][0]] }[keyof EngineEventMap];
type ToThread = { t: 'wake' } | { t: 'invalidate'; id?: number } | { t: 'stop'; graceMs: number };
/** The thread's SQLite connection as it was opened (PRAGMA synchronous: 1 NORMAL, 2 FULL; cache_size: negative KiB). */
export interface EngineConnection { synchronous: number; cacheSize: number }
type FromThread = { t: 'ready'; connection: EngineConnection } | { t: 'events'; json: string } | { t: 'stopped' } | { t: 'failed'; error: string };

/** Shared words: [0] a wake is pending (set by the main thread, cleared by the engine); [1] attempts in flight. */
const WAKE = 0;
/** Heap limits of the engine thread (old and young generation), in MB. */
const ENGINE_OLD_SPACE_MB = 256;
const ENGINE_YOUNG_SPACE_MB = 16;
const INFLIGHT = 1;

export class ThreadedEngine implements DeliveryEngine {
  private worker: Worker | null = null;
  private readonly flags = new Int32Array(new SharedArrayBuffer(8));
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private resolveStopped: (() => void) | null = null;
  /** The thread's SQLite connection, once it is ready. */
  connection: EngineConnection | null = null;

  constructor(private readonly cfg: EngineThreadConfig, private readonly events: EngineEvents, private readonly log: Logger) {}

  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The engine's live data is small (what is in flight, webhook settings): a small heap keeps the thread's
      // memory (a second V8 heap) from growing with garbage between collections.
      const w = new Worker(new URL(import.meta.url), {
        workerData: { cfg: this.cfg, flags: this.flags },
        resourceLimits: { maxOldGenerationSizeMb: ENGINE_OLD_SPACE_MB, maxYoungGenerationSizeMb: ENGINE_YOUNG_SPACE_MB },
      });
      this.worker = w;
      let ready = false;
      w.on('message', (m: FromThread) => {
        switch (m.t) {
          case 'ready': ready = true; this.connection = m.connection; resolve(); break;
          case 'events':
            for (const [name, e] of JSON.parse(m.json) as EventMessage[]) (this.events.emit as (n: string, e: unknown) => boolean)(name, e);
            break;
          case 'stopped': this.resolveStopped?.(); break;
          case 'failed': if (!ready) reject(new Error(m.error)); break;
        }
      });
      w.on('error', (e) => {
        this.log.error({ err: e }, 'delivery engine thread failed');
        if (!ready) reject(e);
      });
      w.on('exit', (code) => {
        this.resolveStopped?.();
        if (this.worker === w) this.worker = null;
        if (!ready || this.stopping) return;
        // Its leases expire and its deliveries are claimed again by the next engine.
        this.log.error({ code }, 'delivery engine thread exited; starting it again in 1 s');
        setTimeout(() => {
          if (!this.stopping) this.start().catch((e) => this.log.error({ err: e }, 'could not restart the delivery engine thread'));
        }, 1000).unref();
      });
    });
  }

  wake(): void {
    // One message per wake the engine has not seen yet: a burst of events costs one message, not one each.
    if (this.worker && Atomics.compareExchange(this.flags, WAKE, 0, 1) === 0) this.post({ t: 'wake' });
  }

  invalidate(webhookId?: number): void {
    this.post({ t: 'invalidate', id: webhookId });
  }

  get inFlight(): number {
    return Atomics.load(this.flags, INFLIGHT);
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    const w = this.worker;
    if (!w) return;
    this.stopped = new Promise<void>((r) => { this.resolveStopped = r; });
    this.post({ t: 'stop', graceMs });
    await this.stopped;
    await w.terminate();
  }

  private post(m: ToThread): void {
    this.worker?.postMessage(m);
  }
}

async function runThread(): Promise<void> {
  const { cfg, flags } = workerData as { cfg: EngineThreadConfig; flags: Int32Array };
  const port = parentPort!;
  const send = (m: FromThread) => port.postMessage(m);
  const [{ openSqliteStore }, { HttpSender }, { DeliveryWorker }, { OutboundPolicy }, retry, { systemClock }] = await Promise.all([
    import('../store/open.js'), import('./http-sender.js'), import('./worker.js'), import('./ssrf.js'),
    import('../core/retry.js'), import('../core/types.js'),
  ]);
  let store: Awaited<ReturnType<typeof openSqliteStore>>['store'];
  try {
    // A short synchronous wait for the write lock: the engine's transactions wait for the API's asynchronously
    // (SqlStore.transaction retries), so this thread keeps serving its sockets and timers meanwhile.
    ({ store } = await openSqliteStore(cfg.dbPath, { busyTimeoutMs: 20, synchronous: cfg.synchronous, cacheMb: cfg.cacheMb }));
  } catch (e) {
    send({ t: 'failed', error: (e as Error).message });
    return;
  }
  const log = pino({ level: cfg.logLevel, redact: ['*.signingKey', '*.secret', '*.password'] }).child({ component: 'delivery' });
  const clock = systemClock;
  const sender = new HttpSender({
    signingKey: () => cfg.signingKey, timeoutMs: cfg.timeoutMs, clock, policy: new OutboundPolicy(cfg.outboundAllow),
    responseBodyBytes: cfg.responseBodyBytes, connectionsPerOrigin: cfg.concurrency,
  });
  const events = new EngineEvents();
  // Events go back in batches, one message per turn of the event loop.
  let batch: EventMessage[] = [];
  const flushEvents = () => {
    Atomics.store(flags, INFLIGHT, worker.inFlight);
    if (batch.length === 0) return;
    const list = batch;
    batch = [];
    // As one JSON string: cloning a string is a copy, cloning an array of objects walks each (a cost in profiles).
    send({ t: 'events', json: JSON.stringify(list) });
  };
  let scheduled = false;
  const queue = (m: EventMessage) => {
    batch.push(m);
    if (!scheduled) { scheduled = true; setImmediate(() => { scheduled = false; flushEvents(); }); }
  };
  events.on('delivery:attempt', (e) => queue(['delivery:attempt', e]));
  events.on('delivery:dead', (e) => queue(['delivery:dead', e]));
  events.on('webhook:disabled', (e) => queue(['webhook:disabled', e]));
  const worker = new DeliveryWorker({
    store, sender, clock, log, events, policy: cfg.policy === 'determined' ? retry.determinedPolicy : retry.defaultPolicy,
    batchSize: cfg.batchSize, concurrency: cfg.concurrency, perWebhookConcurrency: cfg.perWebhookConcurrency,
    leaseMs: cfg.leaseMs, defaultTimeoutMs: cfg.timeoutMs, disableAfterMs: cfg.disableAfterMs,
  });
  const gauge = setInterval(() => Atomics.store(flags, INFLIGHT, worker.inFlight), 100);
  port.on('message', (m: ToThread) => {
    switch (m.t) {
      case 'wake': Atomics.store(flags, WAKE, 0); worker.wake(); break;
      case 'invalidate': worker.invalidate(m.id); break;
      case 'stop':
        void (async () => {
          try {
            await worker.stop(m.graceMs);
          } catch (e) {
            log.error({ err: e }, 'error while stopping the delivery engine');
          }
          clearInterval(gauge);
          flushEvents();
          await sender.close().catch(() => {});
          await store.close().catch(() => {});
          send({ t: 'stopped' });
          port.close();
        })();
        break;
    }
  });
  worker.start();
  send({ t: 'ready', connection: { synchronous: await store.connectionSetting('synchronous'), cacheSize: await store.connectionSetting('cache_size') } });
}

if (!isMainThread && (workerData as { cfg?: unknown } | null)?.cfg) {
  runThread().catch((e) => parentPort?.postMessage({ t: 'failed', error: String(e) } satisfies FromThread));
}
