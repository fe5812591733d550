/**
 * The catch hooks' fast path (src/http/routes/hooks.ts, catchFastPath): once a flow's key is known to the process, its
 * hook is answered in front of Fastify. The answers and the stored captures must be exactly those of the Fastify
 * route (the first request of a key, which the fast path does not know yet, goes there): compared request by request.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/harness.js';

let s: TestServer;
before(async () => { s = await startTestServer({ patch: (c) => { c.receiver.body_limit_bytes = 2048; } }); });
after(async () => { await s.stop(); });

interface Raw { status: number; headers: [string, string][]; body: Buffer; json: any }

/** One request written byte for byte; read until the server closes (Connection: close). */
function raw(url: string, head: string[], body: Buffer = Buffer.alloc(0), extra = `Content-Length: ${body.length}\r\n`): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    sock.on('connect', () => { sock.write(`${head.join('\r\n')}\r\nHost: ${u.host}\r\n${extra}Connection: close\r\n\r\n`); sock.end(body); });
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
      const b = all.subarray(split + 4);
      let json: any = null;
      try { json = JSON.parse(b.toString('utf8')); } catch { json = null; }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: b, json });
    });
  });
}

/** Header names and values that do not depend on the moment or the ids (no date, no content-length). */
const stable = (r: Raw) => r.headers.filter(([n]) => n !== 'date' && n !== 'content-length').sort();

async function flow(def: Record<string, unknown>) {
  const r = await s.api('POST', '/api/v1/flows', { steps: [{ id: 'n', type: 'noop', config: {} }], ...def });
  assert.equal(r.status, 200, r.text);
  return { id: r.body.flow.id as number, url: r.body.flow.catchUrl as string, path: new URL(r.body.flow.catchUrl).pathname };
}
const capture = async (flowId: number, id: number) => (await s.api('GET', `/api/v1/flows/${flowId}/captures/${id}`)).body.capture;

test('the second request of a key (fast path) is answered and stored exactly like the first (Fastify route)', async () => {
  const f = await flow({ name: 'fast-same' });
  const head = [`POST ${f.path}/?q=1&q=2 HTTP/1.1`, 'X-B: 1', 'x-a: 2', 'X-B: 3', 'Content-Type: application/octet-stream'];
  const body = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
  const first = await raw(f.url, head, body);
  const second = await raw(f.url, head, body);
  for (const r of [first, second]) {
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(Object.keys(r.json), ['status', 'captureId', 'flowId', 'runId']);
    assert.equal(r.json.status, 'success');
    assert.equal(r.json.flowId, f.id);
  }
  assert.equal(second.json.captureId, first.json.captureId + 1);
  assert.deepEqual(stable(second), stable(first));
  const [c1, c2] = [await capture(f.id, first.json.captureId), await capture(f.id, second.json.captureId)];
  for (const k of ['method', 'path', 'query', 'headers', 'contentType', 'size', 'bodyBase64', 'remoteAddress', 'status']) {
    assert.deepEqual(c2[k], c1[k], k);
  }
  assert.ok(Buffer.from(c2.bodyBase64, 'base64').equals(body));
});

test('after the first request: a flow that is off, over-limit bodies, chunked bodies, bad keys and other methods answer as before', async () => {
  const f = await flow({ name: 'fast-off', enabled: false });
  const head = [`PUT ${f.path} HTTP/1.1`, 'Content-Type: text/plain'];
  const a = await raw(f.url, head, Buffer.from('one'));
  const b = await raw(f.url, head, Buffer.from('two'));
  assert.deepEqual([a.status, a.json.flowOff, a.json.runId], [200, true, null]);
  assert.deepEqual([b.status, b.json.flowOff, b.json.runId], [200, true, null]);
  assert.deepEqual(stable(b), stable(a));
  // over the limit: 413 with the hook's own message, nothing captured
  const big = await raw(f.url, head, Buffer.alloc(4096, 'x'));
  assert.equal(big.status, 413);
  assert.equal(big.json.error.type, 'body_too_large');
  assert.match(big.json.error.error, /2048 bytes/);
  // chunked: the same capture as with a Content-Length
  const chunked = await raw(f.url, head, Buffer.from('3\r\nabc\r\n0\r\n\r\n'), 'Transfer-Encoding: chunked\r\n');
  assert.equal(chunked.status, 200, chunked.body.toString());
  assert.equal((await capture(f.id, chunked.json.captureId)).body, 'abc');
  // a GET with no body is captured; HEAD and DELETE are not catch-hook methods
  const get = await raw(f.url, [`GET ${f.path}?x=1 HTTP/1.1`]);
  assert.equal(get.status, 200);
  assert.deepEqual([(await capture(f.id, get.json.captureId)).method, (await capture(f.id, get.json.captureId)).size], ['GET', 0]);
  for (const m of ['HEAD', 'DELETE']) assert.notEqual((await raw(f.url, [`${m} ${f.path} HTTP/1.1`])).status, 200, m);
  // a mistyped key under a known one
  const wrong = await raw(f.url, [`POST ${f.path}x/y HTTP/1.1`, 'Content-Type: text/plain'], Buffer.from('z'));
  assert.equal(wrong.status, 404);
  assert.equal(wrong.json.error.type, 'hook_not_found');
  const list = (await s.api('GET', `/api/v1/flows/${f.id}/captures`)).body.captures as { id: number }[];
  assert.equal(list.length, 4, 'one, two, the chunked one and the GET');
});

test('a static response and a rotated key are honoured on the fast path too', async () => {
  const f = await flow({ name: 'fast-static', response: { status: 202, headers: { 'x-handled-by': 'switchyard' }, body: 'accepted' } });
  const head = [`POST ${f.path} HTTP/1.1`, 'Content-Type: application/json'];
  const a = await raw(f.url, head, Buffer.from('{}'));
  const b = await raw(f.url, head, Buffer.from('{}'));
  for (const r of [a, b]) assert.deepEqual([r.status, r.body.toString()], [202, 'accepted']);
  assert.deepEqual(stable(b), stable(a));
  const g = await flow({ name: 'fast-rotate' });
  const gHead = [`POST ${g.path} HTTP/1.1`, 'Content-Type: application/json'];
  assert.equal((await raw(g.url, gHead, Buffer.from('{}'))).status, 200);
  assert.equal((await raw(g.url, gHead, Buffer.from('{}'))).status, 200);
  const rot = await s.api('POST', `/api/v1/flows/${g.id}/rotate-key`);
  assert.equal(rot.status, 200, rot.text);
  const old = await raw(g.url, gHead, Buffer.from('{}'));
  assert.equal(old.status, 404);
  assert.equal(old.json.error.type, 'hook_not_found');
});
