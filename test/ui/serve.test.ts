/** The server side of the UI (src/http/ui.ts): pages answer the app, the API and hooks keep their own answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startTestServer } from '../helpers/harness.js';
import { registerUi } from '../../src/http/ui.js';

test('UI pages answer index.html; assets are cached; /api, /hooks and /metrics are not shadowed', async () => {
  const s = await startTestServer();
  try {
    for (const path of ['/', '/login', '/det/webhooks', '/webhooks/12', '/experiments', '/flows', '/flows/3', '/runs/9', '/alerts', '/settings']) {
      const r = await fetch(`${s.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/, path);
      assert.equal(r.headers.get('cache-control'), 'no-cache', path);
      const html = await r.text();
      assert.match(html, /<div id="root"><\/div>/, path);
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, `${path}: index.html names its script`);
      if (path === '/') {
        const a = await fetch(`${s.url}${asset}`);
        assert.equal(a.status, 200);
        assert.match(a.headers.get('content-type') ?? '', /javascript/);
        assert.match(a.headers.get('cache-control') ?? '', /immutable/);
        // Read it whole: an unread body keeps the server's socket busy, and stopping the server then waits for it.
        assert.ok((await a.arrayBuffer()).byteLength > 1000);
      }
    }
    // The API keeps its JSON answers, 404s and 401s.
    const api404 = await s.api('GET', '/api/v1/nope');
    assert.equal(api404.status, 404);
    assert.equal(api404.body.error.type, 'not_found');
    assert.equal((await s.api('GET', '/api/v1/webhooks', undefined, { token: null })).status, 401);
    assert.equal((await s.api('GET', '/hooks/catch/nokey')).body.error.type, 'hook_not_found');
    assert.equal((await s.api('GET', '/metrics', undefined, { token: null })).status, 401);
    // Unknown paths outside the app are still the API's 404, not the app.
    const other = await s.api('GET', '/nothing-here');
    assert.equal(other.status, 404);
    assert.equal(other.body.error.type, 'not_found');
    // A missing asset is a 404, and no file outside web/dist is reachable.
    assert.equal((await fetch(`${s.url}/assets/nope.js`)).status, 404);
    assert.notEqual((await fetch(`${s.url}/assets/..%2f..%2fpackage.json`)).status, 200);
  } finally {
    await s.stop();
  }
});

test('UI not built: pages answer 503 with a page that says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'switchyard-nodist-'));
  const app = Fastify();
  try {
    await app.register(registerUi, { dist: `${join(empty, 'dist')}/` });
    const r = await app.inject({ method: 'GET', url: '/det/webhooks' });
    assert.equal(r.statusCode, 503);
    assert.match(r.headers['content-type'] as string, /text\/html/);
    assert.match(r.body, /npm run build:web/);
  } finally {
    await app.close();
    rmSync(empty, { recursive: true, force: true });
  }
});
