/**
 * The code-step sandbox, end to end through real worker threads: QuickJS and Pyodide, warm. One runner (1 Python
 * worker, 1 JavaScript worker) serves every test, so "the next run works" is about the same pool after a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { CodeRequest, CodeResult } from '../core/flow/types.js';
import { CodeRunner } from './code-runner.js';
import { SEED_SNIPPET_ORIGINAL, SEED_SNIPPET_REPAIRED } from './seed-snippet.js';

const CANARY = `sandbox-canary-${process.pid}-${Date.now()}`;
process.env['SWITCHYARD_SANDBOX_CANARY'] = CANARY; // set before the workers start: must never be visible inside

let runner: CodeRunner;
// A generous default deadline: on a loaded machine an import can take over a second, and a test about something else
// must not fail with `timeout`. The tests about deadlines pass their own.
const py = (code: string, inputData: Record<string, string> = {}, timeoutMs = 5000, memoryMb = 64): Promise<CodeResult> =>
  runner.run({ language: 'python', code, inputData, timeoutMs, memoryMb });
const js = (code: string, inputData: Record<string, string> = {}, timeoutMs = 5000, memoryMb = 32): Promise<CodeResult> =>
  runner.run({ language: 'javascript', code, inputData, timeoutMs, memoryMb });

function ok(r: CodeResult): unknown {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r.output;
}
function failed(r: CodeResult, kind: string, message?: RegExp): string {
  assert.ok(!r.ok, `expected a failure, got ${JSON.stringify(r)}`);
  assert.equal(r.kind, kind, r.error);
  if (message) assert.match(r.error, message);
  return r.error;
}

/** A Determined delivery: the raw body and its headers' values, signed with node:crypto. */
function determinedInput(key: string, signWith = key): Record<string, string> {
  const body = JSON.stringify({
    event_id: '7d2bcd8e-4cbe-4b83-bd0a-2f1e7e1a0b51', event_type: 'EXPERIMENT_STATE_CHANGE', timestamp: 1717000000,
    condition: { state: 'COMPLETED' },
    event_data: { experiment: { id: 42, name: 'mnist-ünïcode', state: 'COMPLETED', duration: 93 } },
  });
  const timestamp = '1717000001';
  const signature = createHmac('sha256', Buffer.from(signWith, 'utf8')).update(`${timestamp},${body}`, 'utf8').digest('hex');
  return { webhook_signing_key: key, timestamp, signature, payload: body };
}

/** The seed's check ported to JavaScript (QuickJS has no crypto: HMAC-SHA256 in plain JS). */
const SEED_JS = String.raw`const utf8 = (s) => { const b = []; for (const ch of s) { const p = ch.codePointAt(0);
  if (p < 0x80) b.push(p); else if (p < 0x800) b.push(0xc0 | p >> 6, 0x80 | p & 63);
  else if (p < 0x10000) b.push(0xe0 | p >> 12, 0x80 | p >> 6 & 63, 0x80 | p & 63);
  else b.push(0xf0 | p >> 18, 0x80 | p >> 12 & 63, 0x80 | p >> 6 & 63, 0x80 | p & 63); } return b; };
const K = [], H0 = [];
for (let n = 2; K.length < 64; n++) { let prime = true; for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
  if (prime) { if (H0.length < 8) H0.push(Math.pow(n, 1 / 2) * 4294967296 | 0); K.push(Math.pow(n, 1 / 3) * 4294967296 | 0); } }
const sha256 = (msg) => { const m = msg.slice(), l = msg.length * 8; m.push(0x80); while (m.length % 64 !== 56) m.push(0);
  m.push(0, 0, 0, 0, l >>> 24 & 255, l >>> 16 & 255, l >>> 8 & 255, l & 255);
  const r = (x, n) => x >>> n | x << (32 - n), w = new Array(64), H = H0.slice();
  for (let i = 0; i < m.length; i += 64) {
    for (let t = 0; t < 16; t++) w[t] = m[i + 4 * t] << 24 | m[i + 4 * t + 1] << 16 | m[i + 4 * t + 2] << 8 | m[i + 4 * t + 3];
    for (let t = 16; t < 64; t++) { const a = w[t - 15], b = w[t - 2];
      w[t] = w[t - 16] + (r(a, 7) ^ r(a, 18) ^ a >>> 3) + w[t - 7] + (r(b, 17) ^ r(b, 19) ^ b >>> 10) | 0; }
    let [a, b, c, d, e, f, g, h] = H;
    for (let t = 0; t < 64; t++) {
      const t1 = h + (r(e, 6) ^ r(e, 11) ^ r(e, 25)) + (e & f ^ ~e & g) + K[t] + w[t] | 0;
      const t2 = (r(a, 2) ^ r(a, 13) ^ r(a, 22)) + (a & b ^ a & c ^ b & c) | 0;
      h = g; g = f; f = e; e = d + t1 | 0; d = c; c = b; b = a; a = t1 + t2 | 0; }
    [a, b, c, d, e, f, g, h].forEach((v, k) => { H[k] = H[k] + v | 0; }); }
  return H.flatMap((x) => [x >>> 24 & 255, x >>> 16 & 255, x >>> 8 & 255, x & 255]); };
const hmacHex = (key, text) => { let k = utf8(key); if (k.length > 64) k = sha256(k); while (k.length < 64) k.push(0);
  const inner = sha256(k.map((x) => x ^ 0x36).concat(utf8(text)));
  return sha256(k.map((x) => x ^ 0x5c).concat(inner)).map((x) => (x < 16 ? '0' : '') + x.toString(16)).join(''); };

const payload = JSON.parse(inputData.payload);
const calculated = hmacHex(inputData.webhook_signing_key, inputData.timestamp + ',' + inputData.payload);
if (calculated === inputData.signature) return { result: 'PASS', payload };
return { result: 'Signature cannot be verified, request might not be legit' };`;

async function throughput(req: CodeRequest, n: number): Promise<number> {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, () => runner.run(req)));
  const perSec = n / ((performance.now() - t0) / 1000);
  assert.ok(results.every((r) => r.ok && (r.output as { result?: string }).result === 'PASS'));
  return Math.round(perSec);
}

describe('CodeRunner: WebAssembly code steps', { timeout: 90_000 }, () => {
  before(async () => {
    runner = new CodeRunner({ pythonWorkers: 1, jsWorkers: 1 });
    await runner.warmUp();
  });
  after(async () => {
    await runner.close();
  });

  test('happy paths: input_data / inputData are strings, dict and list results, output = ..., logs', async () => {
    assert.deepEqual(ok(await py('return {"n": input_data["n"], "t": type(input_data["n"]).__name__}', { n: '5' })), { n: '5', t: 'str' });
    assert.deepEqual(ok(await js('return {n: inputData.n, t: typeof inputData.n}', { n: '5' })), { n: '5', t: 'string' });
    assert.deepEqual(ok(await py('return [{"i": i} for i in range(3)]')), [{ i: 0 }, { i: 1 }, { i: 2 }]);
    assert.deepEqual(ok(await js('return [1, 2].map((i) => ({ i }))')), [{ i: 1 }, { i: 2 }]);
    assert.deepEqual(ok(await py('output = {"legacy": True}')), { legacy: true });
    assert.deepEqual(ok(await js('output = {legacy: true}')), { legacy: true });
    assert.deepEqual(ok(await js('const v = await Promise.resolve(7); return {v}')), { v: 7 });
    const p = await py('print("hello", 1)\nprint({"a": 1})\nreturn {}');
    assert.deepEqual(p.logs, ['hello 1', "{'a': 1}"]);
    const j = await js('console.log("hello", 1); console.error({a: 1}); return {}');
    assert.deepEqual(j.logs, ['hello 1', '{"a":1}']);
    assert.ok(p.durationMs >= 0 && j.durationMs >= 0);
  });

  test('syntax errors and exceptions name the line of the user code', async () => {
    failed(await py('x = 1\n\nfor i in range(3)\n    pass'), 'exception', /^SyntaxError on line 3: /);
    failed(await js('let a = 1;\nlet b = ;'), 'exception', /^SyntaxError on line 2: /);
    failed(await py('a = {}\nb = 2\nc = a["missing"]'), 'exception', /^KeyError on line 3: 'missing'$/);
    failed(await py('def f(x):\n    return 1 / x\n\nf(0)'), 'exception', /^ZeroDivisionError on line 2: division by zero$/);
    failed(await js('const a = null;\n\na.x'), 'exception', /^TypeError on line 3: /);
    failed(await js('throw new RangeError("nope")'), 'exception', /^RangeError on line 1: nope$/);
  });

  test('a result that is not JSON (or not a dict) fails with kind output, naming the type', async () => {
    failed(await py('return {"s": {1, 2}}'), 'output', /set/);
    failed(await py('return {"b": b"raw"}'), 'output', /bytes/);
    failed(await py('return "text"'), 'output', /not str/);
    failed(await py('x = 1'), 'output', /returned nothing/);
    failed(await js('return {f: () => 1}'), 'output', /function/);
    failed(await js('return {n: 10n}'), 'output', /bigint/);
    failed(await js('return 42'), 'output', /not number/);
  });

  test('an infinite loop is stopped near the deadline, and the next run works', async () => {
    for (const run of [() => py('while True:\n    pass', {}, 1000), () => js('while (true) {}', {}, 1000)]) {
      const r = await run();
      assert.equal(failed(r, 'timeout'), 'the code ran longer than 1000 ms and was stopped');
      assert.ok(r.durationMs >= 990 && r.durationMs < 2000, `stopped after ${r.durationMs} ms`);
    }
    assert.deepEqual(ok(await py('return {"after": "loop"}')), { after: 'loop' });
    assert.deepEqual(ok(await js('return {after: "loop"}')), { after: 'loop' });
    // Python code that swallows the interrupt: the worker is terminated after a grace period and replaced.
    const stubborn = await py('while True:\n    try:\n        while True: pass\n    except BaseException: pass', {}, 500);
    failed(stubborn, 'timeout', /longer than 500 ms/);
    assert.ok(stubborn.durationMs < 2000, `stopped after ${stubborn.durationMs} ms`);
    assert.deepEqual(ok(await py('return {"after": "terminate"}')), { after: 'terminate' });
  });

  test('runs queued behind a runaway on the same worker: the interrupt stops the runaway only, the rest succeed', async () => {
    // One Python worker, so every run below waits behind the one before it (one of them posted to the worker ahead).
    const loop = (ms: number) => py('while True:\n    pass', {}, ms);
    const quick = (i: number) => py(`return {"i": ${i}, "n": sum(range(2000))}`, {}, 5000);
    const runs = [loop(300), quick(1), loop(200), quick(2), quick(3), loop(150), quick(4)];
    const results = await Promise.all(runs);
    const kinds = results.map((r) => (r.ok ? 'ok' : r.kind));
    assert.deepEqual(kinds, ['timeout', 'ok', 'timeout', 'ok', 'ok', 'timeout', 'ok']);
    for (const [i, at] of [[1, 1], [2, 3], [3, 4], [4, 6]] as const) assert.deepEqual(ok(results[at]!), { i, n: 1999000 });
    // Each deadline counted from the run's own start, not from when it was queued.
    for (const [at, ms] of [[0, 300], [2, 200], [5, 150]] as const) {
      assert.ok(results[at]!.durationMs >= ms - 10 && results[at]!.durationMs < ms + 1000, `run ${at} stopped after ${results[at]!.durationMs} ms`);
    }
    // Code that swallows its interrupt is terminated; the run queued behind it runs on the new worker.
    const [stubborn, next] = await Promise.all([
      py('while True:\n    try:\n        while True: pass\n    except BaseException: pass', {}, 300),
      py('return {"after": "replaced"}'),
    ]);
    failed(stubborn, 'timeout', /longer than 300 ms/);
    assert.deepEqual(ok(next), { after: 'replaced' });
  });

  test('a memory bomb fails that run only, in both languages', async () => {
    // While Python blows up, a JavaScript run in another worker is unaffected.
    const [bomb, bystander] = await Promise.all([
      py("x = []\nwhile True:\n    x.append(' ' * 10**6)", {}, 10_000, 64),
      js('return {fine: true}'),
    ]);
    failed(bomb, 'memory', /more than its 64 MB/);
    assert.deepEqual(ok(bystander), { fine: true });
    failed(await py('x = [0] * 10**9'), 'memory', /MemoryError/);
    const huge = await py("x = 'a' * 10**10");
    assert.ok(!huge.ok && (huge.kind === 'memory' || huge.kind === 'exception'), JSON.stringify(huge));
    assert.match(huge.error, /on line 1/);
    failed(await js('const a = []; while (true) a.push("x".repeat(1e6) + a.length);', {}, 10_000, 32), 'memory', /32 MB/);
    failed(await js('const a = []; while (true) a.push({ i: a.length });', {}, 10_000, 32), 'memory');
    assert.deepEqual(ok(await py('return {"after": "bomb"}')), { after: 'bomb' });
    assert.deepEqual(ok(await js('return {after: "bomb"}')), { after: 'bomb' });
  });

  test('no host access: js module, sockets, host files, environment, processes', async () => {
    failed(await py('import js\nreturn {"g": str(js.process)}'), 'exception', /No module named 'js'/);
    failed(await py('import pyodide_js\nreturn {}'), 'exception', /No module named 'pyodide_js'/);
    failed(await py('from pyodide.ffi import to_js\nreturn {}'), 'exception', /not available in the sandbox/);
    failed(await py('import importlib\nimportlib.import_module("js")\nreturn {}'), 'exception', /No module named 'js'/);

    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    failed(await py(`import socket\ns = socket.socket()\ns.connect(("127.0.0.1", ${port}))\ns.send(b"x")\nreturn {}`), 'exception', /network access is disabled/);
    failed(await py(`import urllib.request\nreturn {"b": urllib.request.urlopen("http://127.0.0.1:${port}/").read().decode()}`), 'exception', /network access is disabled/);
    await new Promise((r) => setTimeout(r, 100));
    server.close();
    assert.equal(connections, 0, 'the host TCP server was reached');

    const hostPasswd = readFileSync('/etc/passwd', 'utf8');
    const passwd = await py('return {"text": open("/etc/passwd").read()}');
    assert.ok(!passwd.ok || !String((passwd.output as { text: string }).text).includes(hostPasswd.slice(0, 40)), 'host /etc/passwd was read');
    failed(passwd, 'exception', /FileNotFoundError on line 1/);
    const listing = ok(await py('import os\nreturn {"root": sorted(os.listdir("/")), "home": os.path.expanduser("~")}')) as { root: string[] };
    assert.ok(!listing.root.includes('etc') || !listing.root.includes('usr'), `the host root is visible: ${listing.root.join(',')}`);

    const env = ok(await py("return dict(__import__('os').environ)")) as Record<string, string>;
    assert.ok(!JSON.stringify(env).includes(CANARY), 'a host environment variable reached Python');
    assert.equal(env['SWITCHYARD_SANDBOX_CANARY'], undefined);
    const jsGlobals = ok(await js('return {t: [typeof process, typeof require, typeof fetch, typeof std, typeof os, typeof setTimeout].join()}'));
    assert.deepEqual(jsGlobals, { t: 'undefined,undefined,undefined,undefined,undefined,undefined' });

    const marker = `/tmp/switchyard-sandbox-${process.pid}`;
    rmSync(marker, { force: true });
    failed(await py(`import os\nos.system("touch ${marker}")\nreturn {}`), 'exception', /starting processes is disabled/);
    failed(await py(`import subprocess\nsubprocess.run(["touch", "${marker}"])\nreturn {}`), 'exception');
    assert.equal(existsSync(marker), false, 'a host process was started');
  });

  test('state does not leak between runs: files, builtins, patched modules', async () => {
    assert.deepEqual(ok(await py('open("/tmp/left.txt", "w").write("x")\nimport builtins, hmac\nbuiltins.len = None\nhmac.compare_digest = lambda a, b: True\nreturn {}')), {});
    assert.deepEqual(
      ok(await py('import os, hmac\nreturn {"tmp": os.listdir("/tmp"), "len": len("ab"), "cmp": hmac.compare_digest("a", "b")}')),
      { tmp: [], len: 2, cmp: false },
    );
    // A patch by an object that claims to equal everything is still seen (modules are compared by identity).
    const sneaky = 'import hmac\nclass Eq:\n    def __eq__(self, o): return True\n    def __call__(self, a, b): return True\n    __hash__ = None\nhmac.compare_digest = Eq()\nreturn {}';
    assert.deepEqual(ok(await py(sneaky)), {});
    assert.deepEqual(ok(await py('import hmac\nreturn {"cmp": hmac.compare_digest("a", "b")}')), { cmp: false });
    // The same code text twice (its compiled form is reused): each run still starts from fresh globals and defaults.
    const counter = 'import json\ndef f(seen=[]):\n    seen.append(1)\n    return len(seen)\nglobal n\nn = globals().get("n", 0) + 1\njson.counter = getattr(json, "counter", 0) + 1\nreturn {"f": f(), "n": n, "json": json.counter}';
    assert.deepEqual(ok(await py(counter)), { f: 1, n: 1, json: 1 });
    assert.deepEqual(ok(await py(counter)), { f: 1, n: 1, json: 1 });
    assert.deepEqual(ok(await js('globalThis.leak = 1; return {}')), {});
    assert.deepEqual(ok(await js('return {leak: typeof leak}')), { leak: 'undefined' });
  });

  test("the seed's snippet: repaired → PASS with a real signature, FAIL with a wrong key; the original → SyntaxError", async () => {
    const good = determinedInput('s3cr3t-ключ');
    assert.deepEqual(ok(await py(SEED_SNIPPET_REPAIRED, good)), { result: 'PASS', payload: JSON.parse(good['payload'] as string) });
    const wrong = determinedInput('s3cr3t-ключ', 'another-key');
    assert.deepEqual(ok(await py(SEED_SNIPPET_REPAIRED, wrong)), { result: 'Signature cannot be verified, request might not be legit' });
    failed(await py(SEED_SNIPPET_ORIGINAL, good), 'exception', /^SyntaxError on line 8: /);
    // The same check in JavaScript agrees with node:crypto.
    assert.deepEqual(ok(await js(SEED_JS, good)), { result: 'PASS', payload: JSON.parse(good['payload'] as string) });
    assert.deepEqual(ok(await js(SEED_JS, wrong)), { result: 'Signature cannot be verified, request might not be legit' });
  });

  test('throughput of the seed snippet with warm workers (printed, not asserted)', async () => {
    const input = determinedInput('s3cr3t');
    const base = { inputData: input, timeoutMs: 5000, memoryMb: 64 };
    await throughput({ language: 'python', code: SEED_SNIPPET_REPAIRED, ...base }, 100); // warm the JIT
    const pyRate = await throughput({ language: 'python', code: SEED_SNIPPET_REPAIRED, ...base }, 2000);
    await throughput({ language: 'javascript', code: SEED_JS, ...base }, 100);
    const jsRate = await throughput({ language: 'javascript', code: SEED_JS, ...base }, 2000);
    console.log(`sandbox throughput, 1 warm worker each: Python seed snippet ${pyRate} runs/s, JavaScript port ${jsRate} runs/s`);
  });
});
