import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runStep, stepRegistry } from '../registry.js';
import { makeServices, never } from '../test-support.js';

describe('noop', () => {
  it('outputs the given output', async () => {
    const output = { verified: true, experiment: { id: 42, name: 'mnist' }, list: [1, 'two'] };
    assert.deepEqual(await runStep('noop', { output }, makeServices(), never), { status: 'ok', output });
  });

  it('outputs null without one and ignores other keys', async () => {
    assert.deepEqual(await runStep('noop', {}, makeServices(), never), { status: 'ok', output: null });
    assert.deepEqual(await runStep('noop', { note: 'x' }, makeServices(), never), { status: 'ok', output: null });
  });

  it('is not an action and honours cancellation', async () => {
    assert.equal(stepRegistry.noop!.action, false);
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    assert.deepEqual(await runStep('noop', {}, makeServices(), ac.signal), {
      status: 'error', error: 'step was cancelled: shutting down', retryable: true,
    });
  });
});
