/**
 * Durability with real processes: events acknowledged by the API survive `kill -9` of the server. The sink is slow
 * so deliveries are in flight when the process dies; after each restart the outbox (and expired leases) resume.
 * Every acknowledged event must reach the sink at least once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCaller, spawnServer, type ServerProcess } from '../helpers/process.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A receiver that answers each request after `delayMs`, recording the experiment id of every body. */
async function slowSink(delayMs: number) {
  const ids: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => setTimeout(() => {
      ids.push(JSON.parse(Buffer.concat(chunks).toString()).event_data.experiment.id);
      res.end('ok');
    }, delayMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ids,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const TOKEN = 'sy_crash_test_token_0123456789';

test('kill -9 while delivering: every acknowledged event is delivered after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-crash-'));
  const cfg = join(dir, 'switchyard.yaml');
  writeFileSync(cfg, 'delivery:\n  lease_ms: 1000\n');
  // Slow receiver: each request is answered after 50 ms, so some are in flight when the server dies.
  const sink = await slowSink(50);
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server: ServerProcess = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  const acknowledged: number[] = [];
  let inFlightAtKill = 0;
  try {
    await call('POST', '/api/v1/webhooks', {
      url: `${sink.url}/crash`, name: 'crash', triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
    });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 80; i++) {
        const e = await call('POST', '/api/v1/experiments', { name: `crash-${round}-${i}` });
        await call('POST', `/api/v1/experiments/${e.experiment.id}/state`, { state: 'COMPLETED' });
        acknowledged.push(e.experiment.id);
      }
      inFlightAtKill += acknowledged.filter((id) => !sink.ids.includes(id)).length;
      await server.kill('SIGKILL');
      server = await spawnServer(args, env);
    }
    assert.ok(inFlightAtKill > 0, 'the kills happened while acknowledged events were still undelivered');
    const until = Date.now() + 20_000;
    const received = () => new Set(sink.ids);
    while (acknowledged.some((id) => !received().has(id)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const got = received();
    const missing = acknowledged.filter((id) => !got.has(id));
    assert.deepEqual(missing, [], `lost ${missing.length} acknowledged events`);
    assert.equal(acknowledged.length, 240);
  } finally {
    await server.kill('SIGKILL');
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
