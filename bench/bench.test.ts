/**
 * The benchmark harness works: its parsing and pairing on plain inputs, then a quick run with tiny counts (real
 * Switchyard, sink and load generator processes) that must print the table and write JSON with every scenario.
 * No performance threshold here: the harness measures, it does not judge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderExperimentEvent } from '../src/core/payload/index.js';
import type { ExperimentSnapshot } from '../src/core/types.js';
import { parseDelivery, RECORD_WIDTH } from './sink.js';
import { dist, matchDeliveries, summary } from './stats.js';
import { SCENARIOS } from './scenarios.js';
import { RECEIVER_SCENARIOS } from './receiver.js';

const experiment: ExperimentSnapshot = {
  id: 42, state: 'PAUSED', name: 'bench-7', resourcePool: 'default', slotsPerTrial: 1, workspace: '', project: '',
  workspaceId: 1, projectId: 1, startTimeMs: 1_700_000_000_000, endTimeMs: null,
};

test('the sink reads experiment id and state from DEFAULT and SLACK bodies as Switchyard renders them', () => {
  for (const webhookType of ['DEFAULT', 'SLACK'] as const) {
    const { body } = renderExperimentEvent({
      webhookType, triggerType: 'EXPERIMENT_STATE_CHANGE', eventId: 'e-1', timestampSec: 1_700_000_001,
      experiment, trialId: null, custom: null, baseUrl: '', nowMs: 1_700_000_001_000,
    });
    const d = parseDelivery(body);
    assert.ok(d, `${webhookType} body not understood: ${body}`);
    assert.equal(d.expId, 42);
    assert.equal(d.state, 'PAUSED');
    if (webhookType === 'DEFAULT') assert.deepEqual([d.eventId, d.timestamp], ['e-1', 1_700_000_001]);
  }
  assert.equal(parseDelivery('not json'), null);
});

test('deliveries pair with acknowledgements by experiment, state and order', () => {
  // experiment 5 → PAUSED (ack 100), → ACTIVE (ack 110), → PAUSED (ack 120); experiment 6 → PAUSED (ack 105)
  const acks = { expIds: [5, 6, 5, 5], states: [0, 0, 1, 0], ackAt: [100, 105, 110, 120] };
  const rec = (w: number, exp: number, state: number, at: number) => [w, exp, state, at, 0];
  const records = [
    ...rec(0, 5, 0, 103), ...rec(0, 6, 0, 109), ...rec(0, 5, 1, 111), ...rec(0, 5, 0, 125),
    ...rec(1, 5, 0, 104), ...rec(1, 9, 0, 130), // webhook 1: one paired, one unknown experiment
    ...rec(2, 5, 0, 999), // webhook 2 is not asked for
  ];
  assert.equal(records.length % RECORD_WIDTH, 0);
  const m = matchDeliveries(acks, records, [0, 1]);
  assert.deepEqual([...m.latencies].sort((a, b) => a - b), [1, 3, 4, 4, 5]);
  assert.equal(m.unmatched, 1);
  assert.equal(m.missing, 3); // webhook 1 never got 6/PAUSED, 5/ACTIVE, nor the second 5/PAUSED
  assert.deepEqual([m.firstReceiptAt, m.lastReceiptAt], [103, 130]);
});

test('percentiles and medians', () => {
  const d = dist(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual([d.p50, d.p99, d.max, d.count], [50, 99, 100, 100]);
  assert.deepEqual(summary([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(summary([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4 });
  assert.ok(Number.isNaN(summary([]).median));
});

test('a quick run with tiny counts prints the table and writes JSON with every scenario', { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'switchyard-bench-test-'));
  try {
    const run = fileURLToPath(new URL('./run.js', import.meta.url));
    const args = [run, '--quick', '--events', '120', '--fanout-events', '30', '--warmup', '20', '--experiments', '130',
      '--open-rate', '200', '--open-seconds', '0.5', '--limit-requests', '400', '--drain-timeout-ms', '60000', '--out', out,
      '--captures', '300', '--captures-256k', '30', '--flow-runs', '120', '--python-runs', '10', '--receiver-rate', '200', '--receiver-seconds', '0.5'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, `bench exited with ${code}\n${stdout}\n${stderr}`);

    // right-aligned columns (median, min–max, machine limit, of limit) are padded on the left
    assert.match(stdout, /\| scenario +\| metric +\| unit +\| +median \| +min–max \| target +\| +machine limit \| +of limit \|/);
    assert.match(stdout, /\| machine \(a\) +\| bare node:http/);
    assert.match(stdout, /\| machine \(b\) +\| undici Pool → sink/);
    for (const s of [...SCENARIOS, ...RECEIVER_SCENARIOS]) assert.match(stdout, new RegExp(`\\| ${s.name} +\\| `), `no row for ${s.name}`);
    assert.match(stdout, /\| machine \(a\) +\| bare node:http, 256 KB POSTs/);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 1);
    const json = JSON.parse(readFileSync(join(out, files[0]!), 'utf8'));
    assert.equal(json.kind, 'switchyard-bench');
    assert.equal(typeof json.machine.cpus, 'number');
    assert.equal(json.machine.node, process.version);
    assert.ok('gitCommit' in json.machine);
    assert.deepEqual(json.limits.map((l: { limit: string }) => l.limit).sort(), ['bare-http', 'bare-http-256k', 'pool-to-sink']);
    for (const s of SCENARIOS) {
      const samples = json.samples.filter((x: { scenario: string }) => x.scenario === s.name);
      assert.equal(samples.length, 1, `no sample for ${s.name}`);
      const x = samples[0];
      assert.equal(x.apiErrors, 0, `${s.name}: ${x.apiErrorSamples.join('; ')}`);
      assert.ok(x.received > 0 && x.received >= x.expectedDeliveries, `${s.name}: ${x.received}/${x.expectedDeliveries} deliveries`);
      assert.ok(x.latency.count > 0, `${s.name}: no latency measured`);
      assert.ok(Number.isFinite(x.deliveriesPerSec) && x.deliveriesPerSec > 0);
    }
    for (const s of RECEIVER_SCENARIOS) {
      const samples = json.receiverSamples.filter((x: { scenario: string }) => x.scenario === s.name);
      assert.equal(samples.length, 1, `no sample for ${s.name}`);
      const x = samples[0];
      assert.equal(x.errors, 0, `${s.name}: ${x.errorSamples.join('; ')}`);
      assert.ok(x.captured > 0 && x.capturesStored >= x.captured, `${s.name}: ${x.capturesStored} stored of ${x.captured} acknowledged`);
      assert.ok(Number.isFinite(x.capturesPerSec) && x.capturesPerSec > 0 && x.latency.count === x.captured);
      if (s.flow === 'off') assert.equal(x.runs, null);
      else {
        // every capture ran, down the expected path (verify: PASS; python: the seed's snippet returned PASS)
        assert.equal(x.runs, x.captured, `${s.name}: ${x.runs} runs for ${x.captured} captures`);
        assert.equal(x.runsAsExpected, x.runs, `${s.name}: ${x.runsAsExpected} of ${x.runs} runs as expected`);
        assert.ok(x.runsPerSec > 0);
      }
    }
    assert.ok(json.table.some((r: { metric: string }) => /p99/.test(r.metric)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
