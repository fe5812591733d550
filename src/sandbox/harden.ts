/**
 * Hardening of a sandbox worker's own JavaScript realm. The interpreters (Pyodide, QuickJS) are WebAssembly, but their
 * Emscripten glue runs as JavaScript in the worker and holds host capabilities: Pyodide's `system()` spawns a shell
 * through `require("child_process")`, its sockets open connections through `require("ws")`, NODEFS reads the host file
 * system through `require("fs")`. User code must never reach those, even if it finds a path from the interpreter to a
 * JavaScript object. So, in every worker, before the interpreter loads:
 *  - CommonJS `require` (how the Emscripten glue gets Node modules) hands out dead stubs for process, network and worker
 *    modules, and `fs` behind a gate that closes after warm-up (`lock()`); after `lock()` nothing can be required;
 *  - WebAssembly memory growth is capped (the per-run memory limit: QuickJS's own limit does not count large blocks);
 * and after warm-up (`lockRealm`): `process`, `fetch` and friends leave the global object, and code generation from
 * strings (`eval`, `Function`, async/generator function constructors) throws.
 */
import NodeModule from 'node:module';

type RequireFn = (this: unknown, id: string) => unknown;

function denied(what: string): () => never {
  return () => {
    throw Object.assign(new Error(`${what} is not available in the sandbox`), { code: 'EPERM' });
  };
}

/** A module whose every function throws. */
function deadModule(name: string): unknown {
  return new Proxy(Object.create(null) as object, {
    get: (_t, p) => (typeof p === 'string' ? denied(`${name}.${p}`) : undefined),
  });
}

/** Node modules the interpreters' glue may never use: process spawning, sockets, threads, native code, vm. */
const DEAD = new Set([
  'child_process', 'ws', 'net', 'tls', 'dgram', 'dns', 'http', 'https', 'http2', 'worker_threads', 'cluster', 'vm',
  'inspector', 'v8', 'repl', 'process', 'os', 'undici',
]);

export interface RequireGate {
  /** Closes `fs` (every function throws EPERM) and refuses any further `require`. */
  lock(): void;
}

/** Installs the gate on CommonJS `require` for this worker thread. Call before loading the interpreter. */
export function gateRequire(): RequireGate {
  const proto = (NodeModule as unknown as { prototype: { require: RequireFn } }).prototype;
  const original = proto.require;
  let locked = false;
  const gateFs = (real: object): object =>
    new Proxy(real, {
      get(target, p) {
        const v: unknown = Reflect.get(target, p, target);
        return locked && typeof v === 'function' ? denied(`fs.${String(p)}`) : v;
      },
    });
  const gated: RequireFn = function (this: unknown, id: string) {
    const name = String(id).replace(/^node:/, '');
    if (locked) return denied(`require('${name}')`)();
    if (DEAD.has(name.split('/')[0] ?? name)) return deadModule(name);
    const mod = original.call(this, id);
    if ((name === 'fs' || name === 'fs/promises') && mod !== null && typeof mod === 'object') return gateFs(mod);
    return mod;
  };
  Object.defineProperty(proto, 'require', { value: gated, writable: false, configurable: false });
  return {
    lock() {
      locked = true;
    },
  };
}

export interface MemoryCap {
  /** Largest size (bytes) any WebAssembly memory of this worker may grow to; Infinity = no cap. */
  capBytes: number;
  /** Set when a growth was refused since the last reset. */
  denied: boolean;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}
/** The part of the WebAssembly global used here (lib "dom" is not loaded in this project). */
const wasm = (globalThis as unknown as { WebAssembly: { Memory: { prototype: WasmMemory } } }).WebAssembly;

/** Caps `WebAssembly.Memory.prototype.grow` for this worker (Emscripten grows memory through it). */
export function capWasmMemory(): MemoryCap {
  const state: MemoryCap = { capBytes: Infinity, denied: false };
  const proto = wasm.Memory.prototype;
  const grow = proto.grow;
  Object.defineProperty(proto, 'grow', {
    value: function (this: WasmMemory, delta: number): number {
      if (this.buffer.byteLength + delta * 65536 > state.capBytes) {
        state.denied = true;
        throw new RangeError('sandbox memory limit reached');
      }
      return grow.call(this, delta);
    },
    writable: false,
    configurable: false,
  });
  return state;
}

/** Globals with host reach (process, network, cross-thread messaging) that leave the realm after warm-up. */
const DROPPED_GLOBALS = [
  'process', 'require', 'module', 'fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'BroadcastChannel', 'Worker',
  'navigator', '_createPyodideModule', 'importScripts',
];

/** Removes host-reaching globals and disables code generation from strings. Irreversible for this realm. */
export function lockRealm(): void {
  const g = globalThis as Record<string, unknown>;
  for (const name of DROPPED_GLOBALS) {
    try {
      delete g[name];
    } catch {
      /* not configurable: overwritten below */
    }
    if (name in g) {
      try {
        Object.defineProperty(g, name, { value: undefined, writable: false, configurable: false });
      } catch {
        /* leave it */
      }
    }
  }
  const noCodegen = function (): never {
    throw new EvalError('code generation from strings is disabled in the sandbox');
  };
  const ctors = [
    Function,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ] as { prototype: object }[];
  for (const C of ctors) {
    Object.defineProperty(C.prototype, 'constructor', { value: noCodegen, writable: false, configurable: false });
  }
  // `instanceof Function` must keep working (the glue uses it), so the global becomes a proxy that cannot be called.
  const blockedFunction = new Proxy(Function, { apply: noCodegen, construct: noCodegen });
  Object.defineProperty(globalThis, 'Function', { value: blockedFunction, writable: false, configurable: false });
  Object.defineProperty(globalThis, 'eval', { value: noCodegen, writable: false, configurable: false });
}
