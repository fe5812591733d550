/**
 * Runs Code steps (issue "Receiver", spec receiver.md "Safe code steps"): user code runs only inside WebAssembly —
 * QuickJS for JavaScript, Pyodide for Python — in long-lived worker threads that keep the interpreters warm, with a
 * time limit and a memory limit per run, and no access to the host, network, environment or file system. Data
 * crosses as JSON copies.
 *
 * Zapier semantics: the code is the body of a function with `input_data` (Python) / `inputData` (JavaScript), a dict
 * of strings, in scope; it `return`s a dict/object or a list of them (or assigns `output = {...}`).
 *
 *   const runner = new CodeRunner({ pythonWorkers: 1, jsWorkers: 1 });
 *   await runner.warmUp();                  // optional: Pyodide takes a few seconds to load
 *   const r = await runner.run({ language: 'python', code, inputData, timeoutMs: 1000, memoryMb: 128 });
 *   await runner.close();
 *
 * `run` never rejects: every failure is a CodeResult with ok: false and a kind.
 */
import type { CodeRequest, CodeResult } from '../core/flow/types.js';
import { LIMITS } from './protocol.js';
import { WorkerPool } from './worker-pool.js';

export interface CodeRunnerOptions {
  /** Warm Pyodide interpreters (each holds ~150-200 MB). Default 1; 0 disables Python steps. */
  pythonWorkers?: number;
  /** Warm QuickJS workers. Default 1; 0 disables JavaScript steps. */
  jsWorkers?: number;
}

type Language = CodeRequest['language'];

function invalid(error: string): CodeResult {
  return { ok: false, kind: 'sandbox', error, logs: [], durationMs: 0 };
}

function workers(n: number | undefined, name: string): number {
  const v = n ?? 1;
  if (!Number.isInteger(v) || v < 0 || v > 64) throw new RangeError(`CodeRunner: ${name} must be an integer from 0 to 64, got ${String(n)}`);
  return v;
}

export class CodeRunner {
  private readonly pools: Record<Language, WorkerPool>;

  constructor(opts: CodeRunnerOptions = {}) {
    this.pools = {
      python: new WorkerPool({
        label: 'Python',
        size: workers(opts.pythonWorkers, 'pythonWorkers'),
        script: new URL('./python-worker.js', import.meta.url),
        interruptBuffer: true,
        // The interpreter's heap is WebAssembly memory (capped per run inside the worker); this bounds the JS heap.
        resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
        startTimeoutMs: 60_000,
      }),
      javascript: new WorkerPool({
        label: 'JavaScript',
        size: workers(opts.jsWorkers, 'jsWorkers'),
        script: new URL('./js-worker.js', import.meta.url),
        interruptBuffer: false,
        resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
        startTimeoutMs: 30_000,
      }),
    };
  }

  run(req: CodeRequest): Promise<CodeResult> {
    const pool = req && (req.language === 'python' || req.language === 'javascript') ? this.pools[req.language] : undefined;
    if (!pool) return Promise.resolve(invalid(`unsupported language: ${String(req?.language)} (use "python" or "javascript")`));
    if (typeof req.code !== 'string') return Promise.resolve(invalid('code must be a string'));
    if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) return Promise.resolve(invalid(`timeoutMs must be a positive number, got ${String(req.timeoutMs)}`));
    if (!Number.isFinite(req.memoryMb) || req.memoryMb <= 0) return Promise.resolve(invalid(`memoryMb must be a positive number, got ${String(req.memoryMb)}`));
    const input: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.inputData ?? {})) {
      // Zapier's input_data holds strings only; anything else arrives as its JSON text.
      input[k] = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
    }
    return pool.run({
      code: req.code,
      inputJson: JSON.stringify(input),
      timeoutMs: Math.min(LIMITS.maxTimeoutMs, Math.max(LIMITS.minTimeoutMs, Math.round(req.timeoutMs))),
      memoryMb: Math.min(LIMITS.maxMemoryMb, Math.max(LIMITS.minMemoryMb, Math.round(req.memoryMb))),
    });
  }

  /** Starts the workers of one language (or both) and waits until their interpreters are loaded. */
  async warmUp(language?: Language): Promise<void> {
    const langs: Language[] = language ? [language] : ['python', 'javascript'];
    await Promise.all(langs.map((l) => this.pools[l].warmUp()));
  }

  /** Terminates every worker; queued and running runs end with kind 'sandbox'. */
  async close(): Promise<void> {
    await Promise.all(Object.values(this.pools).map((p) => p.close()));
  }
}
