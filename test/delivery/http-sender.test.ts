/**
 * HttpSender against real HTTP servers: what the attempt log keeps of a response (capped body, headers), the
 * per-attempt deadline when a body trickles past it, redirects not followed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSender } from '../../src/delivery/http-sender.js';
import { OutboundPolicy } from '../../src/delivery/ssrf.js';
import { FakeClock } from '../helpers/fake-clock.js';

async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function sender(opts: { timeoutMs?: number; responseBodyBytes?: number; connectionsPerOrigin?: number } = {}): HttpSender {
  return new HttpSender({
    signingKey: () => 'k', timeoutMs: opts.timeoutMs ?? 5000, clock: new FakeClock(), policy: new OutboundPolicy(['127.0.0.0/8']),
    responseBodyBytes: opts.responseBodyBytes ?? 100, connectionsPerOrigin: opts.connectionsPerOrigin,
  });
}

const req = (url: string) => ({ url, body: '{"a":1}', contentType: 'application/json', signed: true, eventId: 'e1', standardSecrets: [] });

test('the attempt log keeps a response body up to the cap and says how much was left out; repeated headers are joined', async () => {
  const srv = await serve((rq, res) => {
    const n = Number(new URL(rq.url!, 'http://x').searchParams.get('n'));
    res.setHeader('x-many', ['one', 'two']);
    res.setHeader('Retry-After', '7');
    res.statusCode = rq.url!.startsWith('/busy') ? 503 : 200;
    // Several chunks, so the cap is applied across them.
    for (let i = 0; i < n; i += 1000) res.write('x'.repeat(Math.min(1000, n - i)));
    res.end();
  });
  const s = sender({ responseBodyBytes: 100 });
  try {
    const small = await s.send(req(`${srv.url}/ok?n=40`));
    assert.equal(small.outcome, 'ok');
    assert.equal(small.responseBody, 'x'.repeat(40));
    assert.equal(small.responseHeaders!['x-many'], 'one, two');
    const big = await s.send(req(`${srv.url}/ok?n=5000`));
    assert.equal(big.statusCode, 200);
    assert.equal(big.responseBody, `${'x'.repeat(100)}… [4900 more bytes not kept]`);
    // Far beyond the cap: not read to the end, the attempt still ends with its status.
    const huge = await s.send(req(`${srv.url}/ok?n=2000000`));
    assert.equal(huge.outcome, 'ok');
    assert.ok(huge.responseBody!.startsWith('x'.repeat(100)), huge.responseBody!.slice(0, 120));
    const busy = await s.send(req(`${srv.url}/busy?n=10`));
    assert.equal(busy.outcome, 'http');
    assert.equal(busy.error, 'HTTP 503');
    assert.equal(busy.retryAfter, '7');
  } finally {
    await s.close();
    await srv.close();
  }
});

test('a response whose body trickles past the deadline is a timeout, ended within the deadline tick', async () => {
  const srv = await serve((_rq, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const t = setInterval(() => res.write('.'), 100);
    res.on('close', () => clearInterval(t));
  });
  const s = sender({ timeoutMs: 600 });
  try {
    const t0 = Date.now();
    const r = await s.send(req(`${srv.url}/slow`));
    const took = Date.now() - t0;
    assert.equal(r.outcome, 'timeout', JSON.stringify(r));
    assert.match(r.error ?? '', /timed out/);
    assert.ok(took >= 550 && took < 2000, `ended after ${took} ms`);
  } finally {
    await s.close();
    await srv.close();
  }
});

test('a redirect is not followed: the attempt fails and names the Location', async () => {
  let hits = 0;
  const srv = await serve((_rq, res) => { hits++; res.writeHead(302, { location: '/elsewhere' }); res.end(); });
  const s = sender();
  try {
    const r = await s.send(req(`${srv.url}/moved`));
    assert.equal(r.outcome, 'http');
    assert.equal(r.statusCode, 302);
    assert.equal(r.error, 'redirect 302 not followed (Location: /elsewhere)');
    assert.equal(hits, 1);
  } finally {
    await s.close();
    await srv.close();
  }
});

test('an attempt whose deadline passes while it waits for a connection is a timeout and is never sent', async () => {
  const seen: string[] = [];
  const srv = await serve((rq, res) => {
    seen.push(rq.url!);
    if (rq.url === '/hang') return; // never answers: holds the only connection until its own timeout
    res.end('ok');
  });
  const s = sender({ timeoutMs: 1000, connectionsPerOrigin: 1 });
  try {
    const first = s.send(req(`${srv.url}/hang`));
    await new Promise((r) => setTimeout(r, 50));
    const queued = await s.send({ ...req(`${srv.url}/queued`), timeoutMs: 300 });
    assert.equal(queued.outcome, 'timeout', JSON.stringify(queued));
    assert.equal((await first).outcome, 'timeout');
    // The connection is free again: the queued request must not go out now that its timeout is recorded.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen, ['/hang']);
    assert.equal((await s.send(req(`${srv.url}/later`))).outcome, 'ok');
    assert.deepEqual(seen, ['/hang', '/later']);
  } finally {
    await s.close();
    await srv.close();
  }
});

test('destroy (shutdown after the grace period): the requests in flight end now, their connections close, later sends fail', async () => {
  let closedUnanswered = 0;
  let arrived = 0;
  const srv = await serve((rq, res) => {
    rq.resume();
    rq.on('end', () => { arrived++; }); // and never answers
    res.on('close', () => { if (!res.writableFinished) closedUnanswered++; });
  });
  const s = sender({ timeoutMs: 30_000 });
  try {
    const inFlight = [s.send(req(`${srv.url}/a`)), s.send(req(`${srv.url}/b`))];
    for (let i = 0; i < 300 && arrived < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(arrived, 2);
    const t0 = Date.now();
    await s.destroy('aborted: shutting down');
    const results = await Promise.all(inFlight);
    assert.ok(Date.now() - t0 < 1000, 'not waiting for the endpoint (30 s timeout)');
    assert.deepEqual(results.map((r) => [r.outcome, r.error]), [['other', 'aborted: shutting down'], ['other', 'aborted: shutting down']]);
    for (let i = 0; i < 100 && closedUnanswered < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closedUnanswered, 2, 'the connections were closed');
    const later = await s.send(req(`${srv.url}/c`));
    assert.deepEqual([later.outcome, later.error], ['other', 'aborted: shutting down']);
    assert.equal(arrived, 2, 'nothing sent after destroy');
    await s.close(); // returns at once after destroy
  } finally {
    await srv.close();
  }
});
