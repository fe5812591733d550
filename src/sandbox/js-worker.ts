/**
 * A long-lived worker thread holding one QuickJS WebAssembly module. Each run gets a fresh QuickJS runtime and context
 * (well under a millisecond): no `std`/`os` modules, no host functions except a log sink; the input goes in as JSON
 * text and the output comes out as JSON text. Started by WorkerPool with `new URL('./js-worker.js', import.meta.url)`.
 *
 * Limits: the interrupt handler stops the code at the deadline (the pool terminates the worker if that does not
 * work); memory is capped on the WebAssembly memory itself, because QuickJS's own limit does not count large blocks
 * in this build (quickjs-emscripten#255) — it is still set, and bounds single allocations.
 */
import { parentPort } from 'node:worker_threads';
import { capWasmMemory, gateRequire, lockRealm } from './harden.js';
import { LIMITS, MIB, memoryMessage, timeoutMessage } from './protocol.js';
import type { RunMessage, WorkerMessage, WorkerOutcome } from './protocol.js';
import type { InterruptHandler, QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';

const port = parentPort;
if (!port) throw new Error('js-worker must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);

const gate = gateRequire();
const memCap = capWasmMemory();
const FILE = 'code.js';
const STACK_BYTES = 256 * 1024;

/** Runs inside QuickJS: installs `console` (to the host's log sink) and returns the JSON helpers. */
const PRELUDE = String.raw`(function (hostLog) {
  'use strict';
  const fmt = (v) => {
    if (typeof v === 'string') return v;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  const line = (...args) => { hostLog(args.map(fmt).join(' ')); };
  globalThis.console = { log: line, info: line, warn: line, error: line, debug: line, trace: line };
  const kind = (v) => v === null ? 'null' : Array.isArray(v) ? 'array'
    : typeof v === 'object' ? 'object (' + ((v.constructor && v.constructor.name) || 'no prototype') + ')' : typeof v;
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  return {
    parse: (text) => JSON.parse(text),
    finish(value) {
      if (value === undefined || value === null)
        return 'output\nthe code returned nothing: end it with return {...} (an object, or an array of objects) or assign output = {...}';
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!isObj(value[i])) return 'output\nthe code returned an array whose item ' + i + ' is ' + kind(value[i]) + ', not an object';
      } else if (!isObj(value)) {
        return 'output\nthe code must return an object or an array of objects, not ' + kind(value);
      }
      let bad = null;
      let text;
      try {
        text = JSON.stringify(value, function (key, v) {
          const t = typeof v;
          if (bad === null && (t === 'function' || t === 'symbol' || t === 'bigint')) bad = t + ' at key "' + key + '"';
          return t === 'bigint' ? null : v;
        });
      } catch (e) {
        return 'output\nthe returned value is not JSON-serializable: ' + (e && e.message ? e.message : String(e));
      }
      if (bad !== null) return 'output\nthe returned value is not JSON-serializable: it contains a ' + bad;
      return 'ok\n' + text;
    },
  };
})`;

type Stage = { status: 'ok'; json: string } | { status: 'output' | 'exception' | 'timeout' | 'memory'; error: string };

function errorStage(ctx: QuickJSContext, handle: QuickJSHandle): Stage {
  const e = ctx.dump(handle) as unknown;
  if (e && typeof e === 'object' && 'message' in e) {
    const { name, message, stack, lineNumber } = e as { name?: string; message?: string; stack?: string; lineNumber?: number };
    if (name === 'InternalError' && message === 'interrupted') return { status: 'timeout', error: 'interrupted' };
    if (name === 'InternalError' && message === 'out of memory') return { status: 'memory', error: 'InternalError: out of memory' };
    const m = new RegExp(`${FILE.replace('.', '\\.')}:(\\d+)`).exec(String(stack ?? ''));
    const line = m ? Number(m[1]) : lineNumber;
    return { status: 'exception', error: `${name ?? 'Error'}${line ? ` on line ${line}` : ''}: ${String(message ?? '')}`.slice(0, 4000) };
  }
  let shown: string;
  try {
    shown = JSON.stringify(e) ?? String(e);
  } catch {
    shown = String(e);
  }
  return { status: 'exception', error: `the code threw ${shown.slice(0, 2000)}` };
}

/** One run inside an existing context. Every handle created here is disposed here. */
function execute(ctx: QuickJSContext, rt: QuickJSRuntime, msg: RunMessage, log: (s: string) => void): Stage {
  const logFn = ctx.newFunction('log', (h) => {
    log(ctx.getString(h));
  });
  const preludeFn = ctx.unwrapResult(ctx.evalCode(PRELUDE, '<sandbox>'));
  const helpers = ctx.unwrapResult(ctx.callFunction(preludeFn, ctx.undefined, logFn));
  preludeFn.dispose();
  logFn.dispose();
  const parse = ctx.getProp(helpers, 'parse');
  const finish = ctx.getProp(helpers, 'finish');
  helpers.dispose();
  try {
    const wrapped = `(async function (inputData) {${msg.code}\n;return typeof output === 'undefined' ? undefined : output;\n})`;
    const compiled = ctx.evalCode(wrapped, FILE);
    if (compiled.error) return compiled.error.consume((h) => errorStage(ctx, h));
    const fn = compiled.value;
    const inputText = ctx.newString(msg.input);
    const parsed = ctx.callFunction(parse, ctx.undefined, inputText);
    inputText.dispose();
    if (parsed.error) {
      fn.dispose();
      return parsed.error.consume((h) => errorStage(ctx, h));
    }
    const called = parsed.value.consume((input) => ctx.callFunction(fn, ctx.undefined, input));
    fn.dispose();
    if (called.error) return called.error.consume((h) => errorStage(ctx, h));
    return called.value.consume((promise) => {
      while (rt.hasPendingJob()) {
        const r = rt.executePendingJobs();
        if (r.error) return r.error.consume((h) => errorStage(ctx, h));
      }
      const state = ctx.getPromiseState(promise);
      if (state.type === 'pending') {
        return { status: 'exception', error: 'the code never finished: it awaits something that cannot complete in the sandbox' };
      }
      if (state.type === 'rejected') return state.error.consume((h) => errorStage(ctx, h));
      const out = state.value.consume((v) => ctx.callFunction(finish, ctx.undefined, v));
      if (out.error) return out.error.consume((h) => errorStage(ctx, h));
      const text = out.value.consume((h) => ctx.getString(h));
      const nl = text.indexOf('\n');
      const status = text.slice(0, nl);
      if (status === 'ok') {
        const json = text.slice(nl + 1);
        if (json.length > LIMITS.maxOutputChars) {
          return { status: 'output', error: `the returned value is ${json.length} characters of JSON, more than the ${LIMITS.maxOutputChars} allowed` };
        }
        return { status: 'ok', json };
      }
      return { status: 'output', error: text.slice(nl + 1) };
    });
  } finally {
    parse.dispose();
    finish.dispose();
  }
}

let shouldInterruptAfterDeadline: (deadline: number) => InterruptHandler;

function runOnce(qjs: QuickJSWASMModule, msg: RunMessage, baseline: number): { outcome: WorkerOutcome; recycle: boolean } {
  const logs: string[] = [];
  let logChars = 0;
  let cut = false;
  const log = (s: string): void => {
    if (cut) return;
    if (logs.length >= LIMITS.maxLogLines || logChars + s.length > LIMITS.maxLogChars) {
      cut = true;
      logs.push('[log truncated]');
      return;
    }
    logs.push(s);
    logChars += s.length;
  };
  memCap.denied = false;
  memCap.capBytes = baseline + msg.memoryMb * MIB;
  let stage: Stage;
  let recycle = false;
  const rt = qjs.newRuntime();
  try {
    rt.setMemoryLimit(msg.memoryMb * MIB);
    rt.setMaxStackSize(STACK_BYTES);
    rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + msg.timeoutMs));
    const ctx = rt.newContext();
    try {
      stage = execute(ctx, rt, msg, log);
    } finally {
      ctx.dispose();
    }
  } catch (e) {
    recycle = true;
    stage = { status: memCap.denied ? 'memory' : 'exception', error: `the JavaScript sandbox failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    rt.dispose();
  } catch {
    recycle = true; // QuickJS aborted (e.g. after running out of memory): this module cannot be reused
  }
  if (memCap.denied) {
    recycle = true;
    if (stage.status === 'exception') stage = { status: 'memory', error: stage.error };
  }
  memCap.capBytes = baseline + LIMITS.recycleAboveBaselineBytes;
  let outcome: WorkerOutcome;
  if (stage.status === 'ok') outcome = { ok: true, outputJson: stage.json, logs };
  else if (stage.status === 'timeout') outcome = { ok: false, kind: 'timeout', error: timeoutMessage(msg.timeoutMs), logs };
  else if (stage.status === 'memory') outcome = { ok: false, kind: 'memory', error: memoryMessage(msg.memoryMb, stage.error), logs };
  else outcome = { ok: false, kind: stage.status, error: stage.error, logs };
  return { outcome, recycle };
}

try {
  const quickjs = await import('quickjs-emscripten');
  shouldInterruptAfterDeadline = quickjs.shouldInterruptAfterDeadline;
  const qjs = await quickjs.getQuickJS();
  const memory = () => qjs.getWasmMemory().buffer.byteLength;
  runOnce(qjs, { t: 'run', id: 0, code: 'return { warm: JSON.parse(inputData.x) }', input: '{"x":"1"}', timeoutMs: 5000, memoryMb: 16 }, memory());
  gate.lock();
  lockRealm();
  const baseline = memory();
  port.on('message', (msg: RunMessage) => {
    if (msg.t !== 'run') return;
    const { outcome, recycle } = runOnce(qjs, msg, baseline);
    post({ t: 'result', id: msg.id, outcome, recycle: recycle || memory() > baseline + LIMITS.recycleAboveBaselineBytes });
  });
  post({ t: 'ready' });
} catch (e) {
  post({ t: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
