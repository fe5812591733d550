/**
 * A fixed-size pool of long-lived sandbox workers for one language. Requests queue when every worker is busy. Each run
 * has a deadline on the main thread: at `timeoutMs` a Python worker gets SIGINT through its interrupt buffer (QuickJS
 * stops itself through its interrupt handler); if the worker has not answered after a grace period it is terminated.
 * A worker that dies, is terminated or asks to be recycled is replaced by a fresh one; only the run it was doing fails.
 *
 * Each busy worker also holds the next run, posted but not started (`queued`): the worker starts it the moment it
 * posts the previous result, instead of waiting for this thread to handle that result and post another. The queued
 * run's deadline starts when it becomes the active one. A Python interrupt must reach only the run it was meant for,
 * so it is claimed first (compare-and-swap of the running id in the shared buffer, see protocol.ts); a run that ends
 * while its interrupt is being claimed waits for it and clears it before the next run starts. A queued run that a
 * replaced worker never finished goes back to the front of the queue (code steps have no side effects outside the
 * sandbox, so running it again is safe).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CodeResult } from '../core/flow/types.js';
import { INTERRUPT, INTERRUPT_ACK, INTERRUPT_WORDS, RUNNING, timeoutMessage, type FailureKind, type RunMessage, type WorkerMessage, type WorkerOutcome } from './protocol.js';

export interface PoolOptions {
  /** Used in messages ("the Python sandbox …"). */
  label: string;
  size: number;
  script: URL;
  interruptBuffer: boolean;
  resourceLimits: ResourceLimits;
  startTimeoutMs: number;
}

export interface PoolRequest {
  code: string;
  inputJson: string;
  timeoutMs: number;
  memoryMb: number;
}

interface Job {
  req: PoolRequest;
  resolve(r: CodeResult): void;
}

interface Active {
  id: number;
  job: Job;
  started: number;
  deadline: NodeJS.Timeout;
  grace?: NodeJS.Timeout;
  timedOut: boolean;
}

interface Slot {
  n: number;
  worker: Worker | null;
  state: 'down' | 'starting' | 'idle' | 'busy';
  interrupt: Int32Array | null;
  active: Active | null;
  /** Posted to the worker behind `active`, not started yet (no deadline yet). */
  queued: { id: number; job: Job } | null;
  startTimer?: NodeJS.Timeout;
  ready: Promise<void>;
  markReady(): void;
  markFailed(e: Error): void;
  lastError?: Error;
  stderrTail: string;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

function fail(kind: FailureKind, error: string, durationMs = 0, logs: string[] = []): CodeResult {
  return { ok: false, kind, error, logs, durationMs: round(durationMs) };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: PoolOptions) {
    for (let n = 0; n < opts.size; n++) this.slots.push(this.emptySlot(n));
  }

  run(req: PoolRequest): Promise<CodeResult> {
    if (this.closed) return Promise.resolve(fail('sandbox', 'the code runner is closed'));
    if (this.slots.length === 0) return Promise.resolve(fail('sandbox', `${this.opts.label} code steps are disabled (0 workers)`));
    return new Promise<CodeResult>((resolve) => {
      this.queue.push({ req, resolve });
      this.startMissing();
      this.pump();
    });
  }

  /** Starts every worker and waits until each is warm. Rejects if a worker cannot start. */
  async warmUp(): Promise<void> {
    if (this.closed) throw new Error('the code runner is closed');
    this.startMissing();
    await Promise.all(this.slots.map((s) => s.ready));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(fail('sandbox', 'the code runner was closed before the run started'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const a = slot.active;
        if (a) this.settle(slot, fail('sandbox', 'the code runner was closed during the run', performance.now() - a.started));
        if (slot.queued) slot.queued.job.resolve(fail('sandbox', 'the code runner was closed before the run started'));
        slot.queued = null;
        const w = slot.worker;
        this.clearSlot(slot, new Error('closed'));
        if (w) await w.terminate().catch(() => undefined);
      }),
    );
  }

  private emptySlot(n: number): Slot {
    const slot = { n, worker: null, state: 'down', interrupt: null, active: null, queued: null, stderrTail: '' } as unknown as Slot;
    this.resetReady(slot);
    return slot;
  }

  private resetReady(slot: Slot): void {
    slot.ready = new Promise<void>((resolve, reject) => {
      slot.markReady = resolve;
      slot.markFailed = reject;
    });
    slot.ready.catch(() => undefined); // a failure is reported through the queued jobs and warmUp()
  }

  private startMissing(): void {
    for (const slot of this.slots) if (slot.state === 'down' && !this.closed) this.spawn(slot);
  }

  private spawn(slot: Slot): void {
    const sab = this.opts.interruptBuffer ? new SharedArrayBuffer(4 * INTERRUPT_WORDS) : undefined;
    slot.interrupt = sab ? new Int32Array(sab) : null;
    slot.state = 'starting';
    slot.lastError = undefined;
    slot.stderrTail = '';
    const worker = new Worker(this.opts.script, {
      workerData: { interrupt: sab },
      env: {}, // the worker's process.env is empty: no secret of the host is in its memory
      argv: [],
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: this.opts.resourceLimits,
      name: `${this.opts.label.toLowerCase()}-sandbox-${slot.n}`,
    });
    slot.worker = worker;
    worker.stdout.resume();
    worker.stderr.on('data', (d: Buffer) => {
      slot.stderrTail = (slot.stderrTail + d.toString('utf8')).slice(-2000);
    });
    worker.unref(); // an idle pool does not keep the process alive; pending runs do (their timers are ref'ed)
    slot.startTimer = setTimeout(() => {
      if (slot.worker === worker) this.startFailed(slot, `it did not start within ${this.opts.startTimeoutMs} ms`);
    }, this.opts.startTimeoutMs);
    worker.on('message', (m: WorkerMessage) => {
      if (slot.worker === worker) this.onMessage(slot, m);
    });
    worker.on('error', (e: Error) => {
      if (slot.worker === worker) slot.lastError = e;
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) this.onExit(slot, code);
    });
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    if (m.t === 'ready') {
      clearTimeout(slot.startTimer);
      slot.state = 'idle';
      slot.markReady();
      this.pump();
    } else if (m.t === 'fatal') {
      this.startFailed(slot, m.error.split('\n')[0] ?? m.error);
    } else if (m.t === 'result') {
      const a = slot.active;
      if (!a || a.id !== m.id) return;
      this.settle(slot, this.toResult(a, m.outcome));
      if (m.recycle) this.replace(slot);
      else if (slot.queued) {
        // The worker has already started the queued run: its deadline starts now.
        const q = slot.queued;
        slot.queued = null;
        this.activate(slot, q.id, q.job);
        this.pump();
      } else {
        slot.state = 'idle';
        this.pump();
      }
    }
  }

  private toResult(a: Active, o: WorkerOutcome): CodeResult {
    const durationMs = performance.now() - a.started;
    if (a.timedOut) return fail('timeout', timeoutMessage(a.job.req.timeoutMs), durationMs, o.logs);
    if (!o.ok) return fail(o.kind, o.error, durationMs, o.logs);
    try {
      return { ok: true, output: JSON.parse(o.outputJson) as unknown, logs: o.logs, durationMs: round(durationMs) };
    } catch {
      return fail('sandbox', 'the sandbox returned malformed output', durationMs, o.logs);
    }
  }

  private onExit(slot: Slot, code: number): void {
    const err = slot.lastError;
    const a = slot.active;
    if (slot.state === 'starting') {
      this.startFailed(slot, err?.message ?? `the worker exited with code ${code}${slot.stderrTail ? `: ${slot.stderrTail.trim()}` : ''}`);
      return;
    }
    if (a) {
      const oom = (err as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const elapsed = performance.now() - a.started;
      if (oom) this.settle(slot, fail('memory', `the code used more memory than the ${this.opts.label} sandbox allows and was stopped`, elapsed));
      else this.settle(slot, fail('sandbox', `the ${this.opts.label} sandbox crashed during the run${err ? `: ${err.message}` : ` (exit code ${code})`}`, elapsed));
    }
    this.replace(slot);
  }

  private startFailed(slot: Slot, reason: string): void {
    const w = slot.worker;
    this.clearSlot(slot, new Error(`the ${this.opts.label} sandbox could not start: ${reason}`));
    if (w) void w.terminate().catch(() => undefined);
    if (!this.slots.some((s) => s.state !== 'down')) {
      for (const job of this.queue.splice(0)) job.resolve(fail('sandbox', `the ${this.opts.label} sandbox could not start: ${reason}`));
    }
  }

  /** Forgets the slot's worker (its events are ignored from now on) and fails its readiness. */
  private clearSlot(slot: Slot, why: Error): void {
    clearTimeout(slot.startTimer);
    if (slot.state === 'starting') slot.markFailed(why);
    slot.worker = null;
    slot.state = 'down';
    this.resetReady(slot);
  }

  /** Terminates the slot's worker and starts a fresh one in its place; its queued run goes back to the queue. */
  private replace(slot: Slot): void {
    if (slot.queued) {
      this.queue.unshift(slot.queued.job);
      slot.queued = null;
    }
    const w = slot.worker;
    this.clearSlot(slot, new Error('replaced'));
    if (w) void w.terminate().catch(() => undefined);
    if (!this.closed) this.spawn(slot);
  }

  private settle(slot: Slot, result: CodeResult): void {
    const a = slot.active;
    if (!a) return;
    clearTimeout(a.deadline);
    clearTimeout(a.grace);
    slot.active = null;
    a.job.resolve(result);
  }

  private pump(): void {
    // Idle workers first, then one queued run behind each busy one.
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.state === 'idle' && slot.worker) this.dispatch(slot, this.queue.shift() as Job);
    }
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.state === 'busy' && slot.worker && slot.active && !slot.queued) {
        const job = this.queue.shift() as Job;
        slot.queued = { id: this.nextId++, job };
        this.post(slot, slot.queued.id, job);
      }
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    const id = this.nextId++;
    this.activate(slot, id, job);
    this.post(slot, id, job);
  }

  /** `job` (posted as run `id`) is the one the worker runs now: its deadline starts. */
  private activate(slot: Slot, id: number, job: Job): void {
    const a: Active = { id, job, started: performance.now(), timedOut: false, deadline: undefined as unknown as NodeJS.Timeout };
    slot.state = 'busy';
    slot.active = a;
    a.deadline = setTimeout(() => this.onDeadline(slot, a), job.req.timeoutMs);
  }

  private post(slot: Slot, id: number, job: Job): void {
    const msg: RunMessage = { t: 'run', id, code: job.req.code, input: job.req.inputJson, timeoutMs: job.req.timeoutMs, memoryMb: job.req.memoryMb };
    (slot.worker as Worker).postMessage(msg);
  }

  private onDeadline(slot: Slot, a: Active): void {
    if (slot.active !== a) return;
    a.timedOut = true;
    const f = slot.interrupt;
    // SIGINT (Pyodide raises KeyboardInterrupt), only if this run is the one running: claimed by swapping its id for
    // its negation, then the interrupt, then the acknowledgement the worker waits for if the run ends meanwhile.
    // If the claim fails, the run is not running (it has just ended, or not yet started): the grace timer decides.
    if (f && Atomics.compareExchange(f, RUNNING, a.id, -a.id) === a.id) {
      Atomics.store(f, INTERRUPT, 2);
      Atomics.store(f, INTERRUPT_ACK, a.id);
      Atomics.notify(f, INTERRUPT_ACK);
    }
    const graceMs = Math.min(1000, Math.max(100, Math.round(a.job.req.timeoutMs / 4)));
    a.grace = setTimeout(() => {
      if (slot.active !== a) return;
      // The code did not stop (it caught the interrupt, or is stuck in native code): end the thread.
      this.settle(slot, fail('timeout', timeoutMessage(a.job.req.timeoutMs), performance.now() - a.started));
      this.replace(slot);
    }, graceMs);
  }
}
