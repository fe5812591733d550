/**
 * The code step's secret references, with a fake sandbox (the real one is exercised in test/receiver/code-secrets):
 * `{"secret": "NAME"}` in inputData reaches the code as the value, is scrubbed from what comes back, fails clearly
 * when unset, and is checked as a config problem when its name is malformed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CodeRequest, CodeResult } from '../../core/flow/types.js';
import { runStep, validateStepConfig } from '../steps/registry.js';
import { makeServices, never } from '../steps/test-support.js';

const KEY = 'det-signing-key-Zq81';

/** A sandbox stand-in that records each request and answers with `answer(req)`. */
function sandbox(answer: (req: CodeRequest) => CodeResult) {
  const calls: CodeRequest[] = [];
  return { calls, runCode: (req: CodeRequest) => { calls.push(req); return Promise.resolve(answer(req)); } };
}

describe('code step: secrets in inputData', () => {
  for (const language of ['python', 'javascript'] as const) {
    it(`${language}: a {"secret": NAME} value reaches the code as the value; the output is scrubbed`, async () => {
      const sb = sandbox((req) => ({ ok: true, output: { k: req.inputData.key, n: req.inputData.n, ts: req.inputData.ts }, logs: [], durationMs: 1 }));
      const outcome = await runStep('code', {
        language, code: 'return {}', inputData: { key: { secret: 'DET_KEY' }, n: 5, ts: '1700000000' },
      }, makeServices({ runCode: sb.runCode, secrets: { DET_KEY: KEY } }), never);
      assert.deepEqual(sb.calls[0]!.inputData, { key: KEY, n: '5', ts: '1700000000' }, 'strings only, as in Code by Zapier');
      assert.deepEqual(outcome, { status: 'ok', output: { k: '[secret DET_KEY]', n: '5', ts: '1700000000' } });
    });
  }

  it('scrubs the value from the error text and the logs of a failed run, JSON-escaped forms too', async () => {
    const odd = 'k"e\\y-4711';
    const sb = sandbox((req) => ({
      ok: false, kind: 'exception', error: `ValueError: bad key ${req.inputData.key}`,
      logs: [`key=${req.inputData.key}`, JSON.stringify({ key: req.inputData.key })], durationMs: 1,
    }));
    const outcome = await runStep('code', { language: 'python', code: 'raise', inputData: { key: { secret: 'K' } } },
      makeServices({ runCode: sb.runCode, secrets: { K: odd } }), never);
    assert.deepEqual(outcome, {
      status: 'error', error: 'python code failed (exception): ValueError: bad key [secret K]', retryable: false,
      output: { logs: ['key=[secret K]', '{"key":"[secret K]"}'] },
    });
  });

  it('an unset secret fails the step (not retried) with how to set it; the code does not run', async () => {
    const sb = sandbox(() => ({ ok: true, output: {}, logs: [], durationMs: 1 }));
    const outcome = await runStep('code', { language: 'javascript', code: 'return {}', inputData: { key: { secret: 'DET_KEY' } } },
      makeServices({ runCode: sb.runCode }), never);
    assert.deepEqual(outcome, {
      status: 'error', retryable: false,
      error: 'secret "DET_KEY" is not set: set it with `switchyard secrets set DET_KEY` or PUT /api/v1/secrets/DET_KEY {"value": "…"}',
    });
    assert.equal(sb.calls.length, 0);
  });

  it('a reference with a malformed name is a config problem; other objects still pass as their JSON text', async () => {
    assert.deepEqual(validateStepConfig('code', { language: 'python', code: 'x', inputData: { key: { secret: 'det-key' } } }), {
      ok: false, problems: ['config.inputData.key.secret: must be a secret name: a letter, then letters, digits and _ (at most 64)'],
    });
    const sb = sandbox((req) => ({ ok: true, output: req.inputData, logs: [], durationMs: 1 }));
    const outcome = await runStep('code', {
      language: 'python', code: 'x', inputData: { a: { secret: 5 }, b: { secret: 'K', other: 1 }, c: null },
    }, makeServices({ runCode: sb.runCode, secrets: { K: 'never-used' } }), never);
    assert.deepEqual(outcome, { status: 'ok', output: { a: '{"secret":5}', b: '{"secret":"K","other":1}', c: '' } });
  });
});
