import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, defaultPolicy, delayAfter, determinedPolicy, maxAttempts, nextWait, parseRetryAfter, policyFor } from './retry.js';

test('default schedule: immediately, then 10 retries over about two days, jittered ±20 %', () => {
  assert.equal(maxAttempts(defaultPolicy), 11);
  assert.equal(delayAfter(defaultPolicy, 1, 0.5), 5000);
  assert.equal(delayAfter(defaultPolicy, 1, 0), 4000);
  assert.equal(delayAfter(defaultPolicy, 1, 1), 6000);
  assert.equal(delayAfter(defaultPolicy, 2, 0.5), 30_000);
  assert.equal(delayAfter(defaultPolicy, 10, 0.5), 24 * 3600 * 1000);
  assert.equal(delayAfter(defaultPolicy, 11, 0.5), null);
  const total = defaultPolicy.scheduleMs.reduce((a, b) => a + b, 0);
  assert.ok(total > 46 * 3600e3 && total < 47 * 3600e3);
});

test('determined: 3 attempts, waits U[0.5 s, 1.5 s] then U[0.75 s, 2.25 s]', () => {
  assert.equal(maxAttempts(determinedPolicy), 3);
  assert.equal(delayAfter(determinedPolicy, 1, 0), 500);
  assert.equal(delayAfter(determinedPolicy, 1, 1), 1500);
  assert.equal(delayAfter(determinedPolicy, 2, 0), 750);
  assert.equal(delayAfter(determinedPolicy, 2, 1), 2250);
  assert.equal(delayAfter(determinedPolicy, 3, 0.5), null);
});

test('the outcome table', () => {
  const rows: [number | null, string, string][] = [
    [200, 'success', 'success'], [204, 'success', 'success'], [301, 'final', 'final'], [400, 'final', 'final'],
    [404, 'final', 'final'], [408, 'retry', 'final'], [410, 'gone', 'gone'], [429, 'retry', 'final'],
    [500, 'retry', 'retry'], [503, 'retry', 'retry'], [null, 'retry', 'retry'],
  ];
  for (const [status, def, det] of rows) {
    assert.equal(classify(defaultPolicy, status), def, `default ${status}`);
    assert.equal(classify(determinedPolicy, status), det, `determined ${status}`);
  }
  assert.equal(classify(defaultPolicy, null, true), 'final', 'an SSRF refusal is final');
});

test('custom schedules and Retry-After', () => {
  const p = policyFor({ policy: 'custom', scheduleSeconds: [1, 60] }, defaultPolicy);
  assert.equal(maxAttempts(p), 3);
  assert.equal(delayAfter(p, 2, 0.5), 60_000);
  assert.equal(policyFor(null, determinedPolicy), determinedPolicy);
  assert.equal(policyFor({ policy: 'determined' }, defaultPolicy), determinedPolicy);
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(nextWait(5000, 120_000), 120_000, 'a longer Retry-After stretches the wait');
  assert.equal(nextWait(5000, 1000), 5000, 'a shorter one does not shorten it');
  assert.equal(nextWait(5000, 30 * 24 * 3600e3), 6 * 3600e3, 'capped at 6 h');
});
