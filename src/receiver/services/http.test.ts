import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classifyError } from '../../delivery/http-sender.js';
import { isSsrfError, OutboundPolicy } from '../../delivery/ssrf.js';
import { createHttpClient, type HttpClient } from './http.js';
import { closedPort, startHttpServer, type HttpTestServer } from './test-support.js';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the request to fail');
}

describe('createHttpClient against a local server', () => {
  let server: HttpTestServer;
  let client: HttpClient;
  before(async () => {
    server = await startHttpServer((req, res) => {
      if (req.url === '/json') {
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'X-Custom': 'yes' });
        res.end(JSON.stringify({ got: req.body }));
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('é'.repeat(40));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000).unref();
      } else {
        res.end('plain');
      }
    });
    client = createHttpClient(new OutboundPolicy(['127.0.0.0/8']));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('sends method, headers and body; returns status, lower-cased headers, text body and a duration', async () => {
    const res = await client({ method: 'post', url: `${server.url}/json`, headers: { 'X-Trace': 't1' }, body: 'hello' });
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['x-custom'], 'yes');
    assert.equal(res.headers['set-cookie'], 'a=1, b=2');
    assert.deepEqual(JSON.parse(res.body), { got: 'hello' });
    assert.ok(res.durationMs >= 0);
    const seen = server.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.headers['x-trace'], 't1');
    assert.match(String(seen.headers['user-agent']), /^Switchyard/);
  });

  it("keeps the caller's user-agent", async () => {
    await client({ method: 'GET', url: `${server.url}/`, headers: { 'User-Agent': 'mine/1' } });
    assert.equal(server.requests.at(-1)!.headers['user-agent'], 'mine/1');
  });

  it('does not follow redirects', async () => {
    const res = await client({ method: 'GET', url: `${server.url}/redirect`, headers: {} });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/elsewhere');
    assert.equal(server.requests.filter((r) => r.url === '/elsewhere').length, 0);
  });

  it('caps the body (without splitting a character) and says so', async () => {
    const small = createHttpClient(new OutboundPolicy(['127.0.0.0/8']), { maxBodyBytes: 11 });
    try {
      const res = await small({ method: 'GET', url: `${server.url}/big`, headers: {} });
      assert.equal(res.body, 'ééééé');
      assert.equal(res.truncated, true);
    } finally {
      await small.close();
    }
    const full = await client({ method: 'GET', url: `${server.url}/big`, headers: {} });
    assert.equal(full.body.length, 40);
    assert.equal(full.truncated, undefined);
  });

  it('times out after timeoutMs', async () => {
    const err = await thrown(client({ method: 'GET', url: `${server.url}/slow`, headers: {}, timeoutMs: 150 }));
    assert.equal(classifyError(err).outcome, 'timeout');
  });

  it("stops when the caller's signal aborts", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('run cancelled')), 50);
    const err = await thrown(client({ method: 'GET', url: `${server.url}/slow`, headers: {}, signal: ac.signal }));
    assert.ok(ac.signal.aborted);
    assert.ok(err);
  });

  it('a refused connection is a connect error', async () => {
    const port = await closedPort();
    const err = await thrown(client({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }));
    assert.equal(classifyError(err).outcome, 'connect');
  });
});

describe('createHttpClient SSRF guard', () => {
  it('refuses loopback with an empty policy, before connecting', async () => {
    const server = await startHttpServer((_req, res) => res.end('should not be reached'));
    const client = createHttpClient(new OutboundPolicy([]));
    try {
      for (const url of [`${server.url}/`, `http://localhost:${server.port}/`, `http://2130706433:${server.port}/`]) {
        const err = await thrown(client({ method: 'GET', url, headers: {} }));
        assert.ok(isSsrfError(err), `${url}: ${String(err)}`);
        assert.match(classifyError(err).message, /loopback/);
      }
      const scheme = await thrown(client({ method: 'GET', url: 'file:///etc/passwd', headers: {} }));
      assert.ok(isSsrfError(scheme));
    } finally {
      await client.close();
      await server.close();
    }
    assert.equal(server.requests.length, 0);
  });
});
