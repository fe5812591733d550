/** The delivery sweeper's schedule (src/delivery/sweeper.ts); what a sweep deletes is in store.contract.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Store } from '../store/store.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FIRST_SWEEP_MS, startSweeper } from './sweeper.js';

test('the first sweep comes soon after start, then one every period; stop() ends them', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const calls: [number, number][] = [];
  const store = { sweep: async (before: number, keep: number) => { calls.push([before, keep]); return { deliveries: 0, attempts: 0 }; } } as unknown as Store;
  const clock = new FakeClock();
  const s = startSweeper({ store, clock, log: pino({ level: 'silent' }), retentionMs: 1000, maxAttempts: 5000, everyMs: 600_000 });
  t.mock.timers.tick(FIRST_SWEEP_MS - 1);
  assert.equal(calls.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(calls, [[clock.now() - 1000, 5000]], 'the first sweep');
  assert.ok(FIRST_SWEEP_MS <= 60_000, 'soon: within a minute of start');
  t.mock.timers.tick(600_000);
  assert.equal(calls.length, 2, 'then periodically');
  s.stop();
  t.mock.timers.tick(600_000);
  assert.equal(calls.length, 2, 'none after stop()');
});
