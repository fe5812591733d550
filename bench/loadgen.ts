/**
 * The load generator: undici Pools with keep-alive, in the harness process.
 *
 * - `StateDriver` makes events the way producers do: it toggles experiments between PAUSED and ACTIVE with
 *   `POST /api/v1/experiments/{id}/state`, never two requests on one experiment at once, and keeps each
 *   acknowledgement (experiment, new state, time the response arrived).
 * - `closedLoop` keeps `concurrency` requests in flight until `total` are done (maximum throughput).
 * - `openLoop` starts requests on a fixed schedule (`rate` per second) whatever the responses do (latency at a load).
 * - `hammer` is the same closed loop for plain 1 KB POSTs: the machine's own limits.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { now } from './processes.js';
import { STATE_CODES } from './sink.js';

export function makePool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
}

export interface ApiClient {
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
}

export function apiClient(pool: Pool, token: string): ApiClient {
  return {
    async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
      const res = await pool.request({
        path: `/api/v1${path}`, method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    },
  };
}

/** Runs `n` tasks with at most `concurrency` at once. */
export async function runConcurrently(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < n) await task(next++); };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

export class StateDriver {
  /** Acknowledged state changes: experiment id, state code (index in STATE_CODES), ack time, send time. */
  expIds: number[] = [];
  states: number[] = [];
  ackAt: number[] = [];
  sentAt: number[] = [];
  errors = 0;
  errorSamples: string[] = [];
  /** Open loop only: changes not sent because every experiment still had one in flight (the server fell behind). */
  skipped = 0;
  private readonly current: Uint8Array;
  private readonly busy: Uint8Array;
  private cursor = 0;
  private readonly auth: string;

  /** `experiments` start ACTIVE; each accepted change must fire `eventsPerChange` events. */
  constructor(private readonly pool: Pool, token: string, private readonly experiments: number[], private readonly eventsPerChange: number) {
    this.current = new Uint8Array(experiments.length).fill(STATE_CODES.indexOf('ACTIVE'));
    this.busy = new Uint8Array(experiments.length);
    this.auth = `Bearer ${token}`;
  }

  get acked(): number {
    return this.ackAt.length;
  }

  /** Forget the acknowledgements so far (after the warm-up). */
  clear(): void {
    this.expIds = []; this.states = []; this.ackAt = []; this.sentAt = []; this.errors = 0; this.errorSamples = []; this.skipped = 0;
  }

  /** The next experiment with no request in flight, round robin; -1 if all are busy. */
  private pick(): number {
    for (let k = 0; k < this.experiments.length; k++) {
      const i = (this.cursor + k) % this.experiments.length;
      if (!this.busy[i]) { this.cursor = i + 1; return i; }
    }
    return -1;
  }

  /** One state change on the next free experiment. */
  async fire(): Promise<void> {
    const i = this.pick();
    if (i < 0) { this.skipped++; return; }
    this.busy[i] = 1;
    const to = this.current[i] === 0 ? 1 : 0;
    const id = this.experiments[i]!;
    const sent = now();
    try {
      const res = await this.pool.request({
        path: `/api/v1/experiments/${id}/state`, method: 'POST',
        headers: { authorization: this.auth, 'content-type': 'application/json' },
        body: `{"state":"${STATE_CODES[to]}"}`,
      });
      const at = now();
      const text = await res.body.text();
      if (res.statusCode !== 200) { this.fail(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`); return; }
      const fired = (JSON.parse(text) as { eventsFired?: number }).eventsFired;
      if (fired !== this.eventsPerChange) this.fail(`experiment ${id} → ${STATE_CODES[to]} fired ${fired} events, expected ${this.eventsPerChange}`);
      this.current[i] = to;
      this.expIds.push(id); this.states.push(to); this.ackAt.push(at); this.sentAt.push(sent);
    } catch (e) {
      this.fail(String(e));
    } finally {
      this.busy[i] = 0;
    }
  }

  private fail(msg: string): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(msg);
  }
}

/** Keeps `concurrency` state changes in flight until `total` were made. */
export async function closedLoop(driver: StateDriver, total: number, concurrency: number): Promise<void> {
  await runConcurrently(total, concurrency, () => driver.fire());
}

/** Starts `total` state changes at `rate` per second on a fixed schedule; returns how far the schedule slipped (ms). */
export async function openLoop(driver: StateDriver, total: number, rate: number): Promise<{ maxLagMs: number }> {
  return paced(() => driver.fire(), total, rate, Infinity, () => {});
}

/**
 * Calls `fire(i)` for i = 0 … total-1 at `rate` per second on a fixed schedule, never queueing in the generator: with
 * `maxInFlight` calls unanswered, a due call is skipped (`onSkip`) instead. Returns how far the schedule slipped (ms).
 */
export async function paced(fire: (i: number) => Promise<void>, total: number, rate: number, maxInFlight: number, onSkip: () => void): Promise<{ maxLagMs: number }> {
  const start = now();
  const inflight = new Set<Promise<void>>();
  let issued = 0;
  let maxLagMs = 0;
  while (issued < total) {
    const t = now();
    const due = Math.min(total, Math.floor(((t - start) * rate) / 1000) + 1);
    if (due > issued) maxLagMs = Math.max(maxLagMs, t - (start + (issued * 1000) / rate));
    for (; issued < due; issued++) {
      if (inflight.size >= maxInFlight) { onSkip(); continue; }
      const p = fire(issued).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    if (issued < total) {
      const nextAt = start + (issued * 1000) / rate;
      await new Promise((r) => setTimeout(r, Math.max(0, Math.floor(nextAt - now()))));
    }
  }
  await Promise.all(inflight);
  return { maxLagMs };
}

/** A 1 KB delivery-shaped JSON body with a fresh event_id, as Switchyard would send it. */
export function kilobyteEvent(i: number): string {
  const head = `{"event_id":"${randomUUID()}","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":${Math.floor(Date.now() / 1000)},` +
    `"condition":{"state":"PAUSED"},"event_data":{"experiment":{"id":${i},"state":"PAUSED","name":"`;
  const tail = '","duration":0,"resource_pool":"default","slots_per_trial":1,"workspace":"","project":""}}}';
  return head + 'x'.repeat(Math.max(0, 1024 - head.length - tail.length)) + tail;
}

export interface HammerResult { requests: number; errors: number; elapsedMs: number; firstSentAt: number; lastDoneAt: number; latencies: Float64Array }

/** `total` POSTs of 1 KB bodies to `path`, `concurrency` at once; per-request latency (send → response headers). */
export async function hammer(pool: Pool, path: string, total: number, concurrency: number, body: (i: number) => string): Promise<HammerResult> {
  const latencies = new Float64Array(total);
  let errors = 0;
  let done = 0;
  const firstSentAt = now();
  let lastDoneAt = firstSentAt;
  await runConcurrently(total, concurrency, async (i) => {
    const b = body(i);
    const t0 = now();
    try {
      const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
      const t1 = now();
      await res.body.dump();
      if (res.statusCode !== 200) errors++;
      latencies[done++] = t1 - t0;
      lastDoneAt = Math.max(lastDoneAt, t1);
    } catch {
      errors++;
    }
  });
  return { requests: total - errors, errors, elapsedMs: lastDoneAt - firstSentAt, firstSentAt, lastDoneAt, latencies: latencies.subarray(0, done) };
}
