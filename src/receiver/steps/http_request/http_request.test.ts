import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StepOutcome } from '../../../core/flow/types.js';
import { OutboundPolicy } from '../../../delivery/ssrf.js';
import { createHttpClient, type HttpClient } from '../../services/http.js';
import { closedPort, startHttpServer, type HttpTestServer } from '../../services/test-support.js';
import { runStep, validateStepConfig } from '../registry.js';
import { makeServices, never } from '../test-support.js';

function expectError(o: StepOutcome): { error: string; retryable: boolean; output?: { status: number; body: string } } {
  assert.equal(o.status, 'error', JSON.stringify(o));
  return o as { error: string; retryable: boolean; output?: { status: number; body: string } };
}

function outputOf(o: StepOutcome): Record<string, unknown> {
  assert.equal(o.status, 'ok', JSON.stringify(o));
  return (o as { output: Record<string, unknown> }).output;
}

describe('http_request against a local server', () => {
  let server: HttpTestServer;
  let http: HttpClient;
  before(async () => {
    server = await startHttpServer((req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/echo') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ method: req.method, headers: req.headers, body: req.body }));
      } else if (path?.startsWith('/status/')) {
        res.writeHead(Number(path.slice(8)), { 'content-type': 'text/plain' });
        res.end(`status ${path.slice(8)} body`);
      } else if (path === '/redirect') {
        res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data' });
        res.end();
      } else if (path === '/slow') {
        setTimeout(() => res.end('late'), 2_000).unref();
      } else {
        res.end('plain text');
      }
    });
    http = createHttpClient(new OutboundPolicy(['127.0.0.0/8']));
  });
  after(async () => {
    await http.close();
    await server.close();
  });

  it('GET: output has status, headers, body, json and durationMs', async () => {
    const out = outputOf(await runStep('http_request', { method: 'get', url: `${server.url}/echo?x=1` }, makeServices({ http }), never));
    assert.equal(out.status, 200);
    assert.equal((out.headers as Record<string, string>)['content-type'], 'application/json; charset=utf-8');
    assert.equal(typeof out.body, 'string');
    assert.equal((out.json as { method: string }).method, 'GET');
    assert.equal(typeof out.durationMs, 'number');
    assert.ok(!('truncated' in out));
  });

  it('an object body goes as JSON with its content-type; secret headers are sent but never shown', async () => {
    const secrets = { API_KEY: 'key-7f3a9c' };
    const outcome = await runStep('http_request', {
      method: 'POST',
      url: `${server.url}/echo`,
      headers: { Authorization: { secret: 'API_KEY' }, 'X-Run': '17' },
      body: { experiment: { id: 42, state: 'COMPLETED' } },
    }, makeServices({ http, secrets }), never);
    const out = outputOf(outcome);
    const seen = server.requests.at(-1)!;
    assert.equal(seen.headers.authorization, 'key-7f3a9c');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-run'], '17');
    assert.deepEqual(JSON.parse(seen.body), { experiment: { id: 42, state: 'COMPLETED' } });
    // The server echoed the header back: the value is scrubbed from body and json alike.
    assert.ok(!JSON.stringify(outcome).includes('key-7f3a9c'));
    assert.equal((out.json as { headers: Record<string, string> }).headers.authorization, '[secret API_KEY]');
  });

  it('a string body is sent as is, with the given content-type', async () => {
    await runStep('http_request', {
      method: 'PUT', url: `${server.url}/echo`, headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2',
    }, makeServices({ http }), never);
    const seen = server.requests.at(-1)!;
    assert.equal(seen.headers['content-type'], 'text/csv');
    assert.equal(seen.body, 'a,b\n1,2');
  });

  it('4xx other than 408/429: not retried; the response is kept as output', async () => {
    const o = expectError(await runStep('http_request', { method: 'DELETE', url: `${server.url}/status/404?token=abc` }, makeServices({ http }), never));
    assert.equal(o.error, `DELETE ${server.url}/status/404 answered 404 (expected 2xx): status 404 body`);
    assert.equal(o.retryable, false);
    assert.equal(o.output?.status, 404);
  });

  it('408, 429 and 5xx are retried', async () => {
    for (const status of [408, 429, 500, 503]) {
      const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/status/${status}` }, makeServices({ http }), never));
      assert.equal(o.retryable, true, String(status));
    }
  });

  it('expectStatus decides what counts as success', async () => {
    const ok = await runStep('http_request', { method: 'GET', url: `${server.url}/status/404`, expectStatus: '200, 404' }, makeServices({ http }), never);
    assert.equal(outputOf(ok).status, 404);
    const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/echo`, expectStatus: [201] }, makeServices({ http }), never));
    assert.match(o.error, /answered 200 \(expected 201\)/);
  });

  it('redirects are not followed', async () => {
    const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/redirect` }, makeServices({ http }), never));
    assert.equal(o.error, `GET ${server.url}/redirect answered 301 (expected 2xx): redirects are not followed; Location: http://169.254.169.254/latest/meta-data`);
    assert.equal(o.retryable, false);
  });

  it('a timeout is retried', async () => {
    const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/slow`, timeoutMs: '150' }, makeServices({ http }), never));
    assert.match(o.error, /^GET http:\/\/127\.0\.0\.1:\d+\/slow failed: timed out/);
    assert.equal(o.retryable, true);
  });

  it('nothing listening: retried', async () => {
    const port = await closedPort();
    const o = expectError(await runStep('http_request', { method: 'GET', url: `http://127.0.0.1:${port}/` }, makeServices({ http }), never));
    assert.match(o.error, /failed: connection refused/);
    assert.equal(o.retryable, true);
  });

  it('cancellation ends the step as a retryable failure', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('run timed out')), 50);
    const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/slow` }, makeServices({ http }), ac.signal));
    assert.equal(o.error, 'step was cancelled: run timed out');
    assert.equal(o.retryable, true);
  });
});

describe('http_request SSRF guard', () => {
  it('with an empty policy a loopback URL is refused, not retried, and says so', async () => {
    const server = await startHttpServer((_req, res) => res.end('reached'));
    const http = createHttpClient(new OutboundPolicy([]));
    try {
      const o = expectError(await runStep('http_request', { method: 'GET', url: `${server.url}/internal` }, makeServices({ http }), never));
      assert.equal(o.error, `GET ${server.url}/internal was refused by the SSRF guard (not retried): 127.0.0.1 is a loopback address; `
        + 'Switchyard does not send to private networks unless outbound.allow (SWITCHYARD_OUTBOUND_ALLOW) includes it, e.g. 127.0.0.0/8');
      assert.equal(o.retryable, false);
      const meta = expectError(await runStep('http_request', { method: 'GET', url: 'http://169.254.169.254/latest/meta-data' }, makeServices({ http }), never));
      assert.match(meta.error, /cloud metadata service/);
      assert.equal(meta.retryable, false);
    } finally {
      await http.close();
      await server.close();
    }
    assert.equal(server.requests.length, 0);
  });
});

describe('http_request config', () => {
  it('reports problems by path', () => {
    assert.deepEqual(validateStepConfig('http_request', {
      method: 'TRACE', url: 'ftp://x', headers: { 'X-A': 'one\r\nInjected: yes' }, timeoutMs: 0,
    }), {
      ok: false,
      problems: [
        'config.method: must be one of GET, POST, PUT, PATCH, DELETE',
        'config.url: must be an http:// or https:// URL',
        'config.headers.X-A: must not contain line breaks or NUL',
        'config.timeoutMs: must be at least 1',
      ],
    });
  });

  it('a secret header value with a line break is refused at run time', async () => {
    const o = expectError(await runStep('http_request', {
      method: 'GET', url: 'http://example.com/', headers: { 'X-Key': { secret: 'K' } },
    }, makeServices({ secrets: { K: 'a\r\nb' } }), never));
    assert.equal(o.error, "header X-Key: the secret's value contains a line break");
    assert.equal(o.retryable, false);
  });
});
