/**
 * Crash durability of alert notifications with real processes: the notification row is written in the transaction
 * that raises the alert, so a `kill -9` after the raise and before the channel got its answer loses nothing — the
 * restarted server sends it once its lease (alerts.lease_ms, short here) has run out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiCaller, spawnServer, type ServerProcess } from '../helpers/process.js';

const TOKEN = 'sy_alerts_crash_token_0123456789';

test('kill -9 between raising an alert and sending its notification: the notification goes out after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-alerts-crash-'));
  const cfg = join(dir, 'switchyard.yaml');
  writeFileSync(cfg, 'alerts:\n  lease_ms: 1000\n');
  // The channel's endpoint: holds the first request without answering (the process dies meanwhile), answers later ones.
  const bodies: string[] = [];
  let hold = true;
  const sink = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      if (!hold) res.end('ok');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server: ServerProcess = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  const waitFor = async <T>(what: string, fn: () => Promise<T | false | undefined> | T | false | undefined, ms = 15_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  try {
    await call('POST', '/api/v1/alert-channels', { name: 'ops', kind: 'http', config: { url: `${sinkUrl}/alerts` } });
    const flow = (await call('POST', '/api/v1/flows', {
      name: 'alarm', steps: [{ id: 'raise', type: 'alert', config: { name: 'signature check failed', severity: 'error', message: 'capture {{capture.id}}: bad signature' } }],
    })).flow;
    const hook = await fetch(`${server.url}${new URL(flow.catchUrl).pathname}`, { method: 'POST', body: '{"x":1}' });
    assert.equal(hook.status, 200);

    // The alert is raised and its notification is on its way (the endpoint holds it): kill the process now.
    await waitFor('the notification to arrive', () => bodies.length === 1);
    const [alert] = (await call('GET', '/api/v1/alerts')).alerts;
    assert.equal(alert.title, 'signature check failed');
    assert.deepEqual(alert.notifications.map((n: any) => n.status), ['sending']);
    const code = await server.kill('SIGKILL');
    assert.notEqual(code, 0);

    hold = false;
    server = await spawnServer(args, env);
    const sent = await waitFor('the notification to be sent after restart', async () => {
      const a = (await call('GET', `/api/v1/alerts/${alert.id}`)).alert;
      return a.notifications[0].status === 'sent' && a.notifications[0];
    });
    assert.equal(sent.attempts, 1, 'the interrupted attempt is not counted: it never finished');
    assert.equal(bodies.length, 2, 'sent again after the restart, once');
    for (const b of bodies) assert.equal(JSON.parse(b).alert.id, alert.id);
    assert.match(JSON.parse(bodies[1]!).alert.message, /: bad signature$/);
  } finally {
    await server.kill('SIGKILL');
    await new Promise<void>((r) => { sink.closeAllConnections(); sink.close(() => r()); });
    rmSync(dir, { recursive: true, force: true });
  }
});
