/**
 * A long-lived worker thread holding one warm Pyodide interpreter (loading takes seconds; each run then takes about a
 * millisecond). Started by WorkerPool with `new Worker(new URL('./python-worker.js', import.meta.url))`.
 *
 * Order matters: the CommonJS `require` gate and the WebAssembly memory cap go in before Pyodide loads; Pyodide's
 * host-reaching API is disabled, the `fs` gate closed and the realm locked (no `process`, no code generation) after
 * warm-up, before the first user run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { capWasmMemory, gateRequire, lockRealm } from './harden.js';
import { MemFsReset, type EmscriptenFs } from './memfs-reset.js';
import { pythonHarness } from './python-harness.js';
import { INTERRUPT, INTERRUPT_ACK, LIMITS, MIB, RUNNING, memoryMessage, timeoutMessage } from './protocol.js';
import type { RunMessage, WorkerInit, WorkerMessage, WorkerOutcome } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('python-worker must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

const gate = gateRequire();
const memCap = capWasmMemory();

interface PyProxyFn {
  (...args: unknown[]): unknown;
}
interface Pyodide {
  runPython(code: string, opts?: { globals?: unknown; filename?: string }): unknown;
  globals: { get(name: string): unknown };
  setInterruptBuffer(buf: Int32Array): void;
  setStdin(opts: { error: boolean }): void;
  setStdout(opts: { batched: (line: string) => void }): void;
  setStderr(opts: { batched: (line: string) => void }): void;
  unregisterJsModule(name: string): void;
  FS: EmscriptenFs & { filesystems: Record<string, Record<string, unknown>> };
  _module: { HEAP8: Int8Array };
  _api: Record<string, unknown>;
  [name: string]: unknown;
}

let extraLogs: string[] = [];
const sink = (line: string): void => {
  if (extraLogs.length < LIMITS.maxLogLines) extraLogs.push(line.slice(0, 4096));
};

function denied(what: string): () => never {
  return () => {
    throw new Error(`${what} is disabled in the sandbox`);
  };
}

/** Replaces every function reachable in `obj` (depth-limited) with a refusal. */
function neuter(obj: Record<string, unknown> | undefined, label: string, depth = 2): void {
  if (!obj || depth < 0) return;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (typeof v === 'function') obj[key] = denied(`${label}.${key}`);
    else if (v && typeof v === 'object') neuter(v as Record<string, unknown>, `${label}.${key}`, depth - 1);
  }
}

/** Cuts Pyodide's JS API off from everything that can load code or read host files. */
function disableHostApi(py: Pyodide): void {
  for (const name of [
    'loadPackage', 'loadPackagesFromImports', 'mountNodeFS', 'mountNativeFS', 'registerJsModule', 'unregisterJsModule',
    'setInterruptBuffer', 'setStdin', 'setStdout', 'setStderr', 'unpackArchive', 'registerComlink', 'runPythonAsync',
  ]) {
    try {
      Object.defineProperty(py, name, { value: denied(`pyodide.${name}`), writable: false, configurable: false });
    } catch {
      /* not present in this version */
    }
  }
  for (const name of ['loadBinaryFile', 'loadDynlib', 'install', 'loadScript', 'makeSnapshot', 'restoreSnapshot']) {
    if (name in py._api) py._api[name] = denied(`pyodide._api.${name}`);
  }
  // The package manager reads, downloads and caches wheels with its own (ESM-imported) fs/promises.
  const pm = py._api['packageManager'] as Record<string, unknown> | undefined;
  if (pm && typeof pm === 'object') {
    for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(pm) as object)) {
      if (key !== 'constructor') Object.defineProperty(pm, key, { value: denied(`packageManager.${key}`) });
    }
  }
  for (const fsName of ['NODEFS', 'NATIVEFS_ASYNC', 'PROXYFS', 'WORKERFS', 'IDBFS']) {
    neuter(py.FS.filesystems[fsName], fsName);
  }
}

async function start(): Promise<{ py: Pyodide; run: PyProxyFn; interrupt: Int32Array; fsReset: MemFsReset; baseline: number }> {
  const init = (workerData ?? {}) as WorkerInit;
  if (!init.interrupt) throw new Error('python-worker needs an interrupt buffer');
  const interrupt = new Int32Array(init.interrupt);
  const { loadPyodide } = (await import('pyodide')) as unknown as {
    loadPyodide(opts: Record<string, unknown>): Promise<Pyodide>;
  };
  const py = await loadPyodide({
    jsglobals: Object.create(null) as object,
    env: { HOME: '/home/pyodide', LANG: 'C.UTF-8' },
    stdout: sink,
    stderr: sink,
    args: [],
  });
  py.setStdin({ error: true });
  py.setStdout({ batched: sink });
  py.setStderr({ batched: sink });
  py.setInterruptBuffer(interrupt);
  for (const name of ['js', 'pyodide_js']) {
    try {
      py.unregisterJsModule(name);
    } catch {
      /* not registered */
    }
  }
  // The harness gets its own namespace (not __main__), so user code finds no harness state through sys.modules.
  const ns = py.runPython('{}') as { get(name: string): unknown };
  py.runPython(pythonHarness(LIMITS), { globals: ns, filename: '<sandbox>' });
  const run = ns.get('__sy_run') as PyProxyFn;
  // Warm-up: exercises the lazy paths (random source, strptime, errors, KeyboardInterrupt) while they may still load.
  run('import os, random, hmac, hashlib, json\nrandom.random(); os.urandom(8)\nreturn {"ok": 1}', '{}');
  run('raise ValueError("warm-up")', '{}');
  const fsReset = new MemFsReset(py.FS);
  fsReset.snapshot();
  disableHostApi(py);
  gate.lock();
  lockRealm();
  extraLogs = [];
  return { py, run, interrupt, fsReset, baseline: py._module.HEAP8.byteLength };
}

function parse(text: string, msg: RunMessage): { outcome: WorkerOutcome; recycle: boolean } {
  const a = text.indexOf('\n');
  const b = text.indexOf('\n', a + 1);
  const status = text.slice(0, a);
  const logs = (JSON.parse(text.slice(a + 1, b)) as string[]).concat(extraLogs);
  const payload = text.slice(b + 1);
  switch (status) {
    case 'ok':
      return { outcome: { ok: true, outputJson: payload, logs }, recycle: false };
    case 'timeout':
    case 'recycle-timeout':
      return { outcome: { ok: false, kind: 'timeout', error: timeoutMessage(msg.timeoutMs), logs }, recycle: status !== 'timeout' };
    case 'memory':
      // CPython survives a MemoryError; the heap check after the run decides whether the worker is replaced.
      return { outcome: { ok: false, kind: 'memory', error: memoryMessage(msg.memoryMb, payload), logs }, recycle: false };
    case 'exception':
    case 'output':
      return { outcome: { ok: false, kind: status, error: payload, logs }, recycle: false };
    default:
      return { outcome: { ok: false, kind: 'sandbox', error: `unexpected sandbox status ${status}`, logs }, recycle: true };
  }
}

/**
 * The run has ended: it is no longer the running one. If the pool claimed an interrupt for it meanwhile (RUNNING holds
 * its negated id), wait until that interrupt was stored, then clear it: it must not reach the next run.
 */
function endRun(flags: Int32Array, id: number): void {
  if (Atomics.compareExchange(flags, RUNNING, id, 0) === id) return;
  for (let i = 0; i < 200 && Atomics.load(flags, INTERRUPT_ACK) !== id; i++) Atomics.wait(flags, INTERRUPT_ACK, Atomics.load(flags, INTERRUPT_ACK), 10);
  Atomics.store(flags, INTERRUPT, 0);
  Atomics.store(flags, RUNNING, 0);
}

try {
  const w = await start();
  port.on('message', (msg: RunMessage) => {
    if (msg.t !== 'run') return;
    Atomics.store(w.interrupt, INTERRUPT, 0);
    Atomics.store(w.interrupt, RUNNING, msg.id);
    extraLogs = [];
    memCap.denied = false;
    memCap.capBytes = w.baseline + msg.memoryMb * MIB;
    let result: { outcome: WorkerOutcome; recycle: boolean };
    try {
      result = parse(String(w.run(msg.code, msg.input)), msg);
      endRun(w.interrupt, msg.id);
    } catch (e) {
      endRun(w.interrupt, msg.id);
      // Pyodide itself failed (fatal error, wasm trap): this interpreter is done.
      const lines = (e instanceof Error ? e.message : String(e)).trim().split('\n');
      const detail = lines[lines.length - 1] ?? '';
      result = memCap.denied
        ? { outcome: { ok: false, kind: 'memory', error: memoryMessage(msg.memoryMb), logs: extraLogs }, recycle: true }
        : { outcome: { ok: false, kind: 'sandbox', error: `the Python interpreter failed and is being restarted: ${detail}`, logs: extraLogs }, recycle: true };
    }
    if (memCap.denied) {
      if (!result.outcome.ok && result.outcome.kind === 'exception') {
        result.outcome = { ...result.outcome, kind: 'memory', error: memoryMessage(msg.memoryMb, result.outcome.error) };
      }
    }
    try {
      if (!w.fsReset.reset()) result.recycle = true;
    } catch {
      result.recycle = true;
    }
    if (w.py._module.HEAP8.byteLength > w.baseline + LIMITS.recycleAboveBaselineBytes) result.recycle = true;
    memCap.capBytes = w.baseline + LIMITS.recycleAboveBaselineBytes;
    post({ t: 'result', id: msg.id, outcome: result.outcome, recycle: result.recycle });
  });
  post({ t: 'ready' });
} catch (e) {
  post({ t: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
