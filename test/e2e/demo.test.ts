/**
 * `switchyard demo --exit`, as a script would run it: the seed's two paths, exit 0. The demo sends its email to a
 * real SMTP server (smtp-server) it starts, checks the received subject and body itself (see checkVerifiedPath) and
 * prints them; this test asserts the printed email and alert too, so neither can pass on the subject alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN } from '../helpers/process.js';

const REASON = 'no key reproduces this signature over the received body: either the signing key differs ' +
  '(check webhook_signing_key) or the body was changed in transit';

test('switchyard demo --exit runs the seed scenario and exits 0 with the email and the alert shown', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--exit'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'error' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.split('\n').map((l) => l.trimEnd());
  const after = (prefix: string) => lines[lines.findIndex((l) => l.startsWith(prefix)) + 1];
  assert.ok(lines.includes('1. stored the signing key as the secret DET_WEBHOOKS_SIGNING_KEY (write-only)'), r.stdout);
  assert.ok(lines.includes('   run #1: succeeded'), r.stdout);
  // The email as the SMTP server received it: the experiment's name, id, state, workspace, project and pool.
  assert.ok(lines.includes('   email received by the SMTP server, to ml-team@example.com:'), r.stdout);
  assert.equal(after('   email received by the SMTP server'), '     Subject: Experiment cifar10_pytorch_const (#1) is COMPLETED');
  assert.match(after('     Subject: ') ?? '',
    /^ {5}\| Experiment cifar10_pytorch_const \(#1\) in workspace "vision", project "cifar10", reached COMPLETED after \d+ s on pool default\.$/);
  assert.equal(lines.filter((l) => l.startsWith('   email received')).length, 1, 'one email: none for the tampered request');
  assert.ok(lines.includes('   verified path: ok'), r.stdout);
  // The alert raised by the tampered request's run (#2), with the reason verification failed.
  assert.ok(lines.includes('5. sent the same request with the state changed to ERROR (a tampered body, the original signature): run #2'), r.stdout);
  assert.ok(lines.includes('   run #2: succeeded'), r.stdout);
  assert.ok(lines.some((l) => /^ {5}verify +succeeded .* result: Signature cannot be verified, request might not be legit \(wrong_key\)$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^ {5}alarm +succeeded .* alert #1$/.test(l)), r.stdout);
  assert.ok(lines.includes(`   alert #1 "Determined webhook signature failed": ${REASON}`), r.stdout);
  assert.ok(lines.includes('   alert path: ok'), r.stdout);
  assert.ok(lines.includes('Both paths behaved as expected.'), r.stdout);
});
