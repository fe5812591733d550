/**
 * Catch hooks, with a real server: the request is kept exactly (sent over a raw socket, so header case, order and
 * duplicates are ours), the answer carries the capture's id, keys are unguessable and rotate, limits answer 413 and
 * 429, a static response, flow off, deduplication over a window (on a fake clock), and Test Trigger.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer, until } from '../helpers/harness.js';
import { FakeClock } from '../helpers/fake-clock.js';

const clock = new FakeClock();
let s: TestServer;

before(async () => {
  s = await startTestServer({ clock, patch: (c) => { c.receiver.body_limit_bytes = 2048; } });
});
after(async () => { await s.stop(); });

interface RawResponse { status: number; headers: [string, string][]; body: Buffer; json: any }

/**
 * One HTTP/1.1 request written byte for byte on a socket; the answer is read until the server closes. `framing` is the
 * body's header line (a Content-Length unless told otherwise, e.g. Transfer-Encoding: chunked with a chunked body).
 */
function rawRequest(url: string, head: string[], body: Buffer = Buffer.alloc(0), framing = `Content-Length: ${body.length}\r\n`): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    sock.on('connect', () => {
      sock.write(`${head.join('\r\n')}\r\nHost: ${u.host}\r\n${framing}Connection: close\r\n\r\n`);
      sock.end(body);
    });
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
      const bodyBytes = all.subarray(split + 4);
      let json: any = null;
      try { json = JSON.parse(bodyBytes.toString('utf8')); } catch { json = null; }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: bodyBytes, json });
    });
  });
}

async function createFlow(def: Record<string, unknown>): Promise<{ id: number; catchUrl: string; path: string }> {
  const r = await s.api('POST', '/api/v1/flows', { steps: [], ...def });
  assert.equal(r.status, 200, r.text);
  return { id: r.body.flow.id, catchUrl: r.body.flow.catchUrl, path: new URL(r.body.flow.catchUrl).pathname };
}
const captureOf = async (flowId: number, id: number) => {
  const r = await s.api('GET', `/api/v1/flows/${flowId}/captures/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.capture;
};
const runsOf = async (flowId: number) => (await s.api('GET', `/api/v1/flows/${flowId}/runs`)).body.runs as any[];

test('a POST is kept exactly: header names, order and duplicates, every byte of a binary body, the time and address', async () => {
  const flow = await createFlow({ name: 'exact' });
  const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const res = await rawRequest(flow.catchUrl, [`POST ${flow.path}?a=1&a=2&sp=x%20y HTTP/1.1`, 'X-B: 1', 'x-a: 2', 'X-B: 3', 'Content-Type: application/octet-stream'], body);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json.status, 'success');
  assert.ok(Number.isInteger(res.json.captureId) && res.json.captureId > 0, JSON.stringify(res.json));
  assert.equal(res.json.flowId, flow.id);
  // Stored before the answer: readable the moment the 200 arrived.
  const cap = await captureOf(flow.id, res.json.captureId);
  assert.equal(cap.method, 'POST');
  assert.equal(cap.path, flow.path);
  assert.equal(cap.query, 'a=1&a=2&sp=x%20y');
  assert.deepEqual(cap.headers.map((h: any) => [h.name, h.value]), [
    ['X-B', '1'], ['x-a', '2'], ['X-B', '3'], ['Content-Type', 'application/octet-stream'],
    ['Host', new URL(flow.catchUrl).host], ['Content-Length', '256'], ['Connection', 'close'],
  ]);
  assert.equal(cap.contentType, 'application/octet-stream');
  assert.equal(cap.size, 256);
  assert.equal(cap.body, null, 'not UTF-8: no text form');
  assert.ok(Buffer.from(cap.bodyBase64, 'base64').equals(body), 'all 256 byte values, in order');
  assert.equal(cap.remoteAddress, '127.0.0.1');
  assert.equal(cap.receivedAt, new Date(clock.now()).toISOString());
  assert.equal(cap.status, 'queued');
  assert.equal((await runsOf(flow.id)).length, 1);
});

test('PUT and GET with a query string; a JSON body is kept as sent, not re-serialized', async () => {
  const flow = await createFlow({ name: 'put-get' });
  const text = '{ "b" :1,\n  "a":[1 , 2.50], "é":"\\u00e9" }';
  const put = await rawRequest(flow.catchUrl, [`PUT ${flow.path}?k=v&empty= HTTP/1.1`, 'content-type: application/json; charset=utf-8'], Buffer.from(text));
  assert.equal(put.status, 200);
  const c1 = await captureOf(flow.id, put.json.captureId);
  assert.deepEqual([c1.method, c1.query, c1.body, c1.contentType], ['PUT', 'k=v&empty=', text, 'application/json; charset=utf-8']);
  const get = await rawRequest(flow.catchUrl, [`GET ${flow.path}?x=1&y=%2F&x=2 HTTP/1.1`, 'Accept: */*']);
  assert.equal(get.status, 200);
  const c2 = await captureOf(flow.id, get.json.captureId);
  assert.deepEqual([c2.method, c2.query, c2.size, c2.body, c2.contentType], ['GET', 'x=1&y=%2F&x=2', 0, '', null]);
  assert.deepEqual(c2.headers[0], { name: 'Accept', value: '*/*' });
  // Other methods are not catch-hook methods; HEAD (a link checker) neither captures nor runs.
  for (const m of ['DELETE', 'PATCH', 'HEAD']) {
    const r = await rawRequest(flow.catchUrl, [`${m} ${flow.path} HTTP/1.1`]);
    assert.equal(r.status, 405, m);
    assert.deepEqual(r.headers.find(([n]) => n.toLowerCase() === 'allow'), ['allow', 'POST, PUT, GET']);
  }
  assert.equal((await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures.length, 2);
  // A trailing slash reaches the hook (as in Zapier's URLs); an extra segment is a wrong URL, whatever the body.
  const slash = await rawRequest(flow.catchUrl, [`POST ${flow.path}/ HTTP/1.1`], Buffer.from('not json'));
  assert.equal(slash.status, 200);
  assert.equal((await captureOf(flow.id, slash.json.captureId)).path, `${flow.path}/`);
  const extra = await rawRequest(flow.catchUrl, [`POST ${flow.path}/extra HTTP/1.1`], Buffer.from('not json'));
  assert.equal(extra.status, 404);
  assert.equal(extra.json.error.type, 'hook_not_found');
});

test('a GET with a body keeps every byte (Content-Length or chunked); over the limit it answers 413 like a POST', async () => {
  const flow = await createFlow({ name: 'get-body' });
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  // Twice: the first request of a key goes to Fastify's route; a later one reaches the fast path, which hands it on.
  for (let i = 0; i < 2; i++) {
    const r = await rawRequest(flow.catchUrl, [`GET ${flow.path}?i=${i} HTTP/1.1`, 'Content-Type: application/octet-stream'], binary);
    assert.equal(r.status, 200, r.body.toString());
    const c = await captureOf(flow.id, r.json.captureId);
    assert.deepEqual([c.method, c.query, c.size], ['GET', `i=${i}`, 256]);
    assert.ok(Buffer.from(c.bodyBase64, 'base64').equals(binary), 'all 256 byte values, in order');
  }
  // No Content-Type: the body is kept all the same.
  const plain = await rawRequest(flow.catchUrl, [`GET ${flow.path} HTTP/1.1`], Buffer.from('{"q":1}'));
  assert.equal(plain.status, 200, plain.body.toString());
  assert.deepEqual([(await captureOf(flow.id, plain.json.captureId)).body, (await captureOf(flow.id, plain.json.captureId)).contentType], ['{"q":1}', null]);
  const chunked = await rawRequest(flow.catchUrl, [`GET ${flow.path} HTTP/1.1`, 'Content-Type: text/plain'],
    Buffer.from('3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n'), 'Transfer-Encoding: chunked\r\n');
  assert.equal(chunked.status, 200, chunked.body.toString());
  const cc = await captureOf(flow.id, chunked.json.captureId);
  assert.deepEqual([cc.method, cc.body, cc.size], ['GET', 'abcdefg', 7]);
  // Over receiver.body_limit_bytes (2048 here): declared, or only found out while reading a chunked body.
  const atLimit = await rawRequest(flow.catchUrl, [`GET ${flow.path} HTTP/1.1`], Buffer.alloc(2048, 1));
  assert.equal(atLimit.status, 200);
  const over = await rawRequest(flow.catchUrl, [`GET ${flow.path} HTTP/1.1`], Buffer.alloc(2049, 1));
  const big = Buffer.alloc(3000, 'x');
  const overChunked = await rawRequest(flow.catchUrl, [`GET ${flow.path} HTTP/1.1`],
    Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from('\r\n0\r\n\r\n')]), 'Transfer-Encoding: chunked\r\n');
  for (const r of [over, overChunked]) {
    assert.equal(r.status, 413, r.body.toString());
    assert.equal(r.json.error.type, 'body_too_large');
    assert.match(r.json.error.error, /2048 bytes/, 'names the hook limit, as for a POST');
  }
  // A GET without a body still captures, with an empty body.
  const none = await rawRequest(flow.catchUrl, [`GET ${flow.path}?x=1 HTTP/1.1`], Buffer.alloc(0), '');
  assert.equal(none.status, 200);
  assert.equal((await captureOf(flow.id, none.json.captureId)).size, 0);
  const sizes = ((await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures as any[]).map((c) => c.size);
  assert.deepEqual(sizes, [0, 2048, 7, 7, 256, 256], 'nothing captured for the two over the limit');
});

test('the key is unguessable (≥ 128 bits); rotating it retires the old URL with a stable error', async () => {
  const a = await createFlow({ name: 'rotate-a' });
  const b = await createFlow({ name: 'rotate-b' });
  const keyOf = (u: string) => new URL(u).pathname.replace('/hooks/catch/', '');
  for (const k of [keyOf(a.catchUrl), keyOf(b.catchUrl)]) assert.match(k, /^[A-Za-z0-9_-]{22,}$/, 'at least 22 base64url characters');
  assert.notEqual(keyOf(a.catchUrl), keyOf(b.catchUrl));
  assert.equal((await fetch(a.catchUrl, { method: 'POST', body: 'before' })).status, 200);
  const rotated = await s.api('POST', `/api/v1/flows/${a.id}/rotate-key`);
  assert.equal(rotated.status, 200, rotated.text);
  const fresh = rotated.body.flow.catchUrl as string;
  assert.notEqual(fresh, a.catchUrl);
  assert.match(keyOf(fresh), /^[A-Za-z0-9_-]{22,}$/);
  const old = await fetch(a.catchUrl, { method: 'POST', body: 'after' });
  assert.equal(old.status, 404);
  const err = (await old.json()) as any;
  assert.equal(err.error.type, 'hook_not_found');
  assert.equal(err.error.reason, 'NotFound');
  const ok = await fetch(fresh, { method: 'POST', body: 'after' });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as any).flowId, a.id);
  // A made-up key, long or short, answers the same.
  for (const k of ['A'.repeat(32), 'short', 'bad*chars-in-key-0000']) {
    const r = await fetch(`${s.url}/hooks/catch/${k}`, { method: 'POST', body: 'x' });
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as any).error.type, 'hook_not_found');
  }
});

test('a body over receiver.body_limit_bytes answers 413 and is not captured', async () => {
  const flow = await createFlow({ name: 'limit' });
  const atLimit = await fetch(flow.catchUrl, { method: 'POST', body: Buffer.alloc(2048, 1) });
  assert.equal(atLimit.status, 200);
  const over = await fetch(flow.catchUrl, { method: 'POST', body: Buffer.alloc(2049, 1), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(over.status, 413);
  const err = (await over.json()) as any;
  assert.equal(err.error.type, 'body_too_large');
  assert.match(err.error.error, /2048 bytes/, 'names the hook limit, not the API one');
  const caps = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures;
  assert.deepEqual(caps.map((c: any) => c.size), [2048]);
});

test('a static response (status, headers, body) from the flow; the capture and run still happen', async () => {
  const flow = await createFlow({
    name: 'static', steps: [{ id: 'n', type: 'noop', config: { output: '{{capture.json.n}}' } }],
    response: { status: 202, headers: { 'X-Thanks': 'yes', 'Content-Type': 'text/plain' }, body: 'received, thanks' },
  });
  const r = await rawRequest(flow.catchUrl, [`POST ${flow.path} HTTP/1.1`, 'Content-Type: application/json'], Buffer.from('{"n":7}'));
  assert.equal(r.status, 202);
  assert.ok(r.headers.some(([n, v]) => n.toLowerCase() === 'x-thanks' && v === 'yes'));
  assert.ok(r.headers.some(([n, v]) => n.toLowerCase() === 'content-type' && v.startsWith('text/plain')));
  assert.equal(r.body.toString(), 'received, thanks');
  const caps = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures;
  assert.equal(caps.length, 1);
  const run = await until(async () => (await runsOf(flow.id)).find((x) => x.status === 'succeeded'), 'the run');
  assert.equal(run.captureId, caps[0].id);
});

test('a flow that is off still captures (status off, for Test Trigger) but does not run', async () => {
  const flow = await createFlow({ name: 'off', enabled: false, steps: [{ id: 'n', type: 'noop' }] });
  const r = await fetch(flow.catchUrl, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  assert.equal(body.flowOff, true);
  assert.equal(body.runId, null);
  assert.equal((await captureOf(flow.id, body.captureId)).status, 'off');
  await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(await runsOf(flow.id), []);
  // Turned on, the same hook runs again.
  assert.equal((await s.api('POST', `/api/v1/flows/${flow.id}/enable`)).status, 200);
  const on = (await (await fetch(flow.catchUrl, { method: 'POST', body: '{}' })).json()) as any;
  assert.ok(on.runId > 0 && on.flowOff === undefined, JSON.stringify(on));
  await until(async () => (await runsOf(flow.id)).length === 1, 'one run');
});

test('a per-hook rate limit answers 429 with Retry-After and the stable error body', async () => {
  const flow = await createFlow({ name: 'rate', rateLimit: { perSecond: 2, burst: 2 } });
  const send = () => rawRequest(flow.catchUrl, [`POST ${flow.path} HTTP/1.1`], Buffer.from('x'));
  assert.equal((await send()).status, 200);
  assert.equal((await send()).status, 200);
  const third = await send();
  assert.equal(third.status, 429);
  const retryAfter = third.headers.find(([n]) => n.toLowerCase() === 'retry-after');
  assert.ok(retryAfter && /^\d+$/.test(retryAfter[1]) && Number(retryAfter[1]) >= 1, JSON.stringify(third.headers));
  assert.equal(third.json.error.type, 'rate_limited');
  assert.equal(third.json.error.reason, 'ResourceExhausted');
  assert.equal((await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures.length, 2, 'a refused request is not captured');
  clock.advance(1000); // two tokens back
  assert.equal((await send()).status, 200);
});

async function dedupCase(name: string, dedup: { key: string; windowSeconds: number }, send: (url: string, k: string) => Promise<Response>) {
  const flow = await createFlow({ name, dedup, steps: [{ id: 'n', type: 'noop' }] });
  const post = async (k: string) => {
    const r = await send(flow.catchUrl, k);
    assert.equal(r.status, 200, 'a duplicate is acknowledged like any capture');
    return (await r.json()) as any;
  };
  const first = await post('evt-1');
  assert.ok(first.runId > 0 && first.duplicate === undefined, JSON.stringify(first));
  const dup = await post('evt-1');
  assert.equal(dup.duplicate, true);
  assert.equal(dup.runId, null);
  assert.ok(dup.captureId > first.captureId);
  assert.equal((await captureOf(flow.id, dup.captureId)).status, 'duplicate');
  const other = await post('evt-2');
  assert.ok(other.runId > 0 && !other.duplicate);
  clock.advance(dedup.windowSeconds * 1000 - 1000);
  assert.equal((await post('evt-1')).duplicate, true, 'still inside the window');
  clock.advance(2000);
  const later = await post('evt-1');
  assert.ok(later.runId > 0 && !later.duplicate, `runs again after the window: ${JSON.stringify(later)}`);
  const runs = await until(async () => {
    const r = await runsOf(flow.id);
    return r.length === 3 && r.every((x) => x.status === 'succeeded') && r;
  }, 'three runs');
  assert.deepEqual(runs.map((r) => r.captureId).sort((a, b) => a - b), [first.captureId, other.captureId, later.captureId]);
}

test('dedup by a header: a duplicate within the window is acknowledged, not run; after the window it runs', async () => {
  await dedupCase('dedup-header', { key: '{{capture.headers.x-request-id}}', windowSeconds: 60 },
    (url, k) => fetch(url, { method: 'POST', headers: { 'X-Request-ID': k }, body: `{"noise":${Math.random()}}` }));
  // A burst of the same key at once (one group commit): exactly one of them runs.
  const flow = await createFlow({ name: 'dedup-burst', dedup: { key: '{{capture.headers.x-request-id}}', windowSeconds: 60 } });
  const burst = await Promise.all(Array.from({ length: 8 }, () => fetch(flow.catchUrl, { method: 'POST', headers: { 'X-Request-ID': 'burst' } })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as any }))));
  assert.ok(burst.every((r) => r.status === 200));
  assert.equal(burst.filter((r) => r.body.runId !== null).length, 1);
  assert.equal(burst.filter((r) => r.body.duplicate === true).length, 7);
});

test('dedup by a JSON path in the body', async () => {
  await dedupCase('dedup-json', { key: '{{capture.json.event.id}}', windowSeconds: 300 }, (url, k) => fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: { id: k }, noise: Math.random() }),
  }));
});

test('Test Trigger: at most 100 captures, newest first; a chosen sample is replayed into the flow', async () => {
  const flow = await createFlow({ name: 'test-trigger', steps: [{ id: 'echo', type: 'noop', config: { output: { n: '{{capture.json.n}}', q: '{{capture.queryParams.q}}' } } }] });
  for (let i = 0; i < 105; i += 15) {
    await Promise.all(Array.from({ length: Math.min(15, 105 - i) }, (_, j) => i + j).map(async (n) => {
      const r = await fetch(`${flow.catchUrl}?q=${n}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      assert.equal(r.status, 200);
    }));
  }
  const list = (await s.api('GET', `/api/v1/flows/${flow.id}/captures`)).body.captures as any[];
  assert.equal(list.length, 100);
  const ids = list.map((c) => c.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  assert.ok(list.every((c) => typeof c.body === 'string' && Array.isArray(c.headers) && c.headers.length > 0), 'raw body and headers in the list');
  const older = (await s.api('GET', `/api/v1/flows/${flow.id}/captures?beforeId=${ids[99]}`)).body.captures;
  assert.equal(older.length, 5);
  assert.equal((await s.api('GET', `/api/v1/flows/${flow.id}/captures?limit=500`)).body.captures.length, 100);

  const chosen = list[42];
  const sample = await s.api('POST', `/api/v1/flows/${flow.id}/sample`, { captureId: chosen.id });
  assert.equal(sample.status, 200, sample.text);
  assert.equal(sample.body.flow.sampleCaptureId, chosen.id);
  assert.equal((await s.api('GET', `/api/v1/flows/${flow.id}`)).body.flow.sampleCaptureId, chosen.id);
  const other = await createFlow({ name: 'test-trigger-other' });
  assert.equal((await s.api('POST', `/api/v1/flows/${other.id}/sample`, { captureId: chosen.id })).body.error.type, 'capture_not_found');

  const replay = await s.api('POST', `/api/v1/flows/${flow.id}/captures/${chosen.id}/run`);
  assert.equal(replay.status, 200, replay.text);
  assert.equal(replay.body.run.origin, 'sample');
  assert.equal(replay.body.run.captureId, chosen.id);
  const run = await until(async () => {
    const r = (await s.api('GET', `/api/v1/runs/${replay.body.run.id}`)).body.run;
    return r.status === 'succeeded' && r;
  }, 'the sample run');
  const n = JSON.parse(chosen.body).n as number;
  assert.deepEqual(run.steps[0].output, { n, q: String(n) });
  assert.equal((await s.api('POST', `/api/v1/flows/${flow.id}/captures/999999/run`)).body.error.type, 'capture_not_found');
  assert.equal((await s.api('POST', `/api/v1/flows/${other.id}/captures/${chosen.id}/run`)).status, 404);
});

test('Test Trigger on a flow that is off: the kept capture can still be run on purpose', async () => {
  const flow = await createFlow({ name: 'off-sample', enabled: false, steps: [{ id: 'n', type: 'noop', config: { output: '{{capture.body}}' } }] });
  const cap = (await (await fetch(flow.catchUrl, { method: 'POST', body: 'hello' })).json()) as any;
  const r = await s.api('POST', `/api/v1/flows/${flow.id}/captures/${cap.captureId}/run`);
  assert.equal(r.status, 200, r.text);
  const run = await until(async () => {
    const x = (await s.api('GET', `/api/v1/runs/${r.body.run.id}`)).body.run;
    return x.status === 'succeeded' && x;
  }, 'the run');
  assert.equal(run.steps[0].output, 'hello');
});
