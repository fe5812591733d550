/** `switchyard demo --exit`, as a script would run it: the seed's two paths, exit 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN } from '../helpers/process.js';

test('switchyard demo --exit runs the seed scenario and exits 0 with the email and the alert shown', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--exit'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'error' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /run #1: succeeded/);
  assert.match(r.stdout, /email to ml-team@example\.com: "Experiment cifar10_pytorch_const \(#1\) is COMPLETED"/);
  assert.match(r.stdout, /alert "Determined webhook signature failed": no key reproduces this signature/);
  assert.match(r.stdout, /Both paths behaved as expected\./);
});
