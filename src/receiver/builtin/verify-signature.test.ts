/**
 * The verify_signature step's keys: a `{"secret": NAME}` reference (the documented way) and a plain-text key (kept for
 * quick setups) both verify; an unset secret fails with the same wording as every other step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signDetermined } from '../../core/signing/determined.js';
import { captureView } from '../../core/flow/capture-view.js';
import { runStep } from '../steps/registry.js';
import { emptyContext, makeServices, never } from '../steps/test-support.js';

const KEY = 'det-signing-key-Zq81';
const NOW = 1_700_000_000;
const BODY = '{"event_id":"e1","event_type":"EXPERIMENT_STATE_CHANGE"}';

function services(secrets: Record<string, string>) {
  const capture = captureView({
    url: '/hooks/catch/abc',
    headers: [['X-Determined-AI-Signature-Timestamp', String(NOW)], ['X-Determined-AI-Signature', signDetermined(KEY, NOW, BODY)]],
    body: BODY,
  });
  return makeServices({ secrets, clock: { now: () => NOW * 1000 }, context: { ...emptyContext(), capture } });
}

describe('verify_signature step: keys', () => {
  it('a secret reference and a plain-text key both verify', async () => {
    for (const keys of [[{ secret: 'DET_KEY' }], [KEY]]) {
      const outcome = await runStep('verify_signature', { preset: 'determined', keys }, services({ DET_KEY: KEY }), never);
      assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
      assert.equal((outcome as { output: { result: string } }).output.result, 'PASS');
    }
  });

  it('an unset secret fails (not retried) and says how to set it', async () => {
    const outcome = await runStep('verify_signature', { preset: 'determined', keys: [{ secret: 'DET_KEY' }] }, services({}), never);
    assert.deepEqual(outcome, {
      status: 'error', retryable: false,
      error: 'secret "DET_KEY" is not set: set it with `switchyard secrets set DET_KEY` or PUT /api/v1/secrets/DET_KEY {"value": "…"}',
    });
  });
});
