/**
 * Crash durability of the receiver with real processes: captures answered 200 are stored (with their queued run)
 * before the answer, so `kill -9` in the middle of a burst loses none. The flow's step is an HTTP request to a slow
 * local sink, so runs are in flight when the process dies; after restart, queued runs and runs whose lease ran out
 * (receiver.lease_ms, short here via a YAML config) resume, and every acknowledged capture's run ends `succeeded`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiCaller, spawnServer, type ServerProcess } from '../helpers/process.js';

const TOKEN = 'sy_receiver_crash_token_0123456789';

/** Answers each request after `delayMs`, recording the capture id in its body when the answer goes out. */
async function slowSink(delayMs: number) {
  const arrived: number[] = [];
  const answered: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = Number(JSON.parse(Buffer.concat(chunks).toString()).captureId);
      arrived.push(id);
      setTimeout(() => { answered.push(id); res.end('ok'); }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrived, answered,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('kill -9 during a burst of captures: every capture acknowledged with 200 gets a run that succeeds after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-receiver-crash-'));
  const cfg = join(dir, 'switchyard.yaml');
  // The lease a run holds is the one the killed process wrote: it needs the short lease too, or the restarted
  // process would wait out the default two minutes before resuming the runs that were in flight.
  writeFileSync(cfg, 'receiver:\n  lease_ms: 1000\n  run_concurrency: 6\n');
  const sink = await slowSink(300);
  const env = { SWITCHYARD_ADMIN_TOKEN: TOKEN, SWITCHYARD_CONFIG: cfg };
  const args = ['--data-dir', join(dir, 'data'), '--port', '0'];
  let server: ServerProcess = await spawnServer(args, env);
  const call = apiCaller(() => server.url, TOKEN);
  try {
    const flow = (await call('POST', '/api/v1/flows', {
      name: 'crash', steps: [{ id: 'slow', type: 'http_request', config: { method: 'POST', url: `${sink.url}/slow`, body: { captureId: '{{capture.id}}' } } }],
    })).flow;

    // 50 captures, five at a time; the server is killed once 30 are acknowledged and some runs are in flight.
    const hookPath = new URL(flow.catchUrl).pathname; // the port changes with each process
    const acked = new Map<number, number>(); // captureId → runId
    const ackedN = new Set<number>();
    let refused = 0;
    let killed: Promise<unknown> | null = null;
    let unfinishedAtKill = -1;
    const post = async (n: number) => {
      try {
        const r = await fetch(`${server.url}${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
        const body = (await r.json()) as { captureId?: number; runId?: number };
        if (r.status !== 200) { refused++; return; }
        assert.ok(body.captureId && body.runId, JSON.stringify(body));
        acked.set(body.captureId, body.runId);
        ackedN.add(n);
      } catch {
        refused++; // the process died before answering: not acknowledged, so no promise was made
      }
      if (acked.size >= 30 && sink.arrived.length > 0 && !killed) {
        unfinishedAtKill = [...acked.keys()].filter((id) => !sink.answered.includes(id)).length;
        killed = server.kill('SIGKILL');
      }
    };
    for (let i = 0; i < 50; i += 5) {
      await Promise.all([0, 1, 2, 3, 4].map((j) => post(i + j)));
      if (!killed && acked.size >= 30) await new Promise((r) => setTimeout(r, 50));
    }
    if (!killed) {
      unfinishedAtKill = [...acked.keys()].filter((id) => !sink.answered.includes(id)).length;
      killed = server.kill('SIGKILL');
    }
    await killed;
    assert.ok(acked.size >= 30, `acknowledged ${acked.size}`);
    assert.ok(unfinishedAtKill > 0, 'the kill happened while acknowledged captures were still being run');
    assert.equal(acked.size + refused, 50);

    server = await spawnServer(args, env);
    // The requests the dead process never answered are sent again (their sender saw no 200), to the new process.
    for (let n = 0; n < 50; n++) if (!ackedN.has(n)) await post(n);
    assert.equal(ackedN.size, 50);
    const runs = async () => new Map(((await call('GET', `/api/v1/runs?flowId=${flow.id}&limit=1000`)).runs as any[]).map((r) => [r.id, r]));
    const end = Date.now() + 20_000;
    let byId = await runs();
    while ([...acked.values()].some((id) => byId.get(id)?.status !== 'succeeded') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      byId = await runs();
    }
    const notDone = [...acked].filter(([, runId]) => byId.get(runId)?.status !== 'succeeded')
      .map(([cid, runId]) => `capture ${cid}: run ${runId} ${byId.get(runId)?.status ?? 'missing'}`);
    assert.deepEqual(notDone, [], `acknowledged captures without a succeeded run: ${notDone.length}`);
    for (const [cid, runId] of acked) {
      assert.equal(byId.get(runId)!.captureId, cid);
      assert.ok(sink.answered.includes(cid), `the sink never answered capture ${cid}`);
    }
    // At least once, and at most once more for a run that was in flight at the kill.
    const counts = new Map<number, number>();
    for (const id of sink.arrived) counts.set(id, (counts.get(id) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 2);
    assert.deepEqual(repeated, [], 'no run was executed more than twice');
    const captures = (await call('GET', `/api/v1/flows/${flow.id}/captures?limit=100`)).captures as any[];
    for (const cid of acked.keys()) assert.ok(captures.some((c) => c.id === cid), `capture ${cid} is kept`);
  } finally {
    await server.kill('SIGKILL');
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
