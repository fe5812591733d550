import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import pino from 'pino';
import { request } from 'undici';
import { loadConfig } from '/work/main/dist/src/config.js';
import { startSwitchyard } from '/work/main/dist/src/server.js';
import { SEED_SNIPPET_REPAIRED } from '/work/main/dist/src/sandbox/seed-snippet.js';
const TOKEN = 'sy_bench_token_0123456789abcdef';
const config = loadConfig({ dataDir: mkdtempSync(join(tmpdir(), 'pys-')), port: 0, host: '127.0.0.1' }, { SWITCHYARD_ADMIN_TOKEN: TOKEN });
const sw = await startSwitchyard(config, { log: pino({ level: 'silent' }) });
const api = async (m, p, b) => (await (await fetch(sw.url + p, { method: m, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(b) })).json());
const key = 'k';
const flow = (await api('POST', '/api/v1/flows', { name: 'py', steps: [{ id: 'code', type: 'code', config: { language: 'python', code: SEED_SNIPPET_REPAIRED, inputData: {
  webhook_signing_key: key, timestamp: '{{capture.headers.x-determined-ai-signature-timestamp}}', signature: '{{capture.headers.x-determined-ai-signature}}', payload: '{{capture.body}}' } } }] })).flow;
import { kilobyteEvent } from '/work/main/dist/bench/loadgen.js';
const body = kilobyteEvent(1);
const ts = String(Math.floor(Date.now() / 1000)); const sig = createHmac('sha256', key).update(`${ts},${body}`).digest('hex');
const ticks = () => Object.fromEntries(readdirSync('/proc/self/task').map((t) => [t, readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0)]));
async function burst(n) {
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => { while (next < n) { next++; const r = await request(flow.catchUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-determined-ai-signature-timestamp': ts, 'x-determined-ai-signature': sig }, body }); await r.body.text(); } }));
  const store = sw.ctx.store;
  while ((await store.listRuns({ limit: 1, status: 'queued' })).length || (await store.listRuns({ limit: 1, status: 'running' })).length) await new Promise((r) => setTimeout(r, 20));
}
await burst(500);
const t0 = ticks(); const w0 = performance.now(); const c0 = process.cpuUsage();
await burst(3000);
const ms = performance.now() - w0; const c = process.cpuUsage(c0); const t1 = ticks();
const runs = await sw.ctx.store.listRuns({ limit: 2, status: 'succeeded' });
console.log(`${(3000 / ms * 1000).toFixed(0)} runs/s, ${((c.user + c.system) / 3000).toFixed(0)} µs CPU per run; last output`, JSON.stringify(runs[0]).slice(0, 0));
console.log(Object.entries(t1).map(([k, v]) => `${k}:${v - (t0[k] ?? 0)}`).filter((x) => !x.endsWith(':0')).join(' '));
await sw.stop();
