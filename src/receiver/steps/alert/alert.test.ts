import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepServices } from '../../../core/flow/types.js';
import { runStep, stepRegistry, validateStepConfig } from '../registry.js';
import { makeServices, never } from '../test-support.js';

type Raised = Parameters<StepServices['raiseAlert']>[0];

describe('alert', () => {
  it('raises the alert (severity defaults to warning) and outputs its id and name', async () => {
    const raised: Raised[] = [];
    const services = makeServices({ raiseAlert: async (a) => { raised.push(a); return { alertId: 7 }; } });
    const outcome = await runStep('alert', {
      name: 'signature check failed', message: 'capture 12: the signature does not match', details: { captureId: 12 },
    }, services, never);
    assert.deepEqual(outcome, { status: 'ok', output: { alertId: 7, name: 'signature check failed' } });
    assert.deepEqual(raised, [{
      name: 'signature check failed', severity: 'warning', message: 'capture 12: the signature does not match', details: { captureId: 12 },
    }]);
  });

  it('accepts a severity in any case', async () => {
    const raised: Raised[] = [];
    const services = makeServices({ raiseAlert: async (a) => { raised.push(a); return { alertId: 1 }; } });
    await runStep('alert', { name: 'n', severity: 'Error', message: 'm' }, services, never);
    assert.equal(raised[0]?.severity, 'error');
    assert.equal('details' in raised[0]!, false);
  });

  it('a failure to record the alert is retried', async () => {
    const services = makeServices({ raiseAlert: () => Promise.reject(new Error('database is locked')) });
    const outcome = await runStep('alert', { name: 'n', message: 'm' }, services, never);
    assert.deepEqual(outcome, { status: 'error', error: 'could not raise alert "n": database is locked', retryable: true });
    assert.equal(stepRegistry.alert!.action, true);
  });

  it('validates name, severity and message', () => {
    assert.deepEqual(validateStepConfig('alert', { name: ' ', severity: 'critical' }), {
      ok: false,
      problems: ['config.name: must not be empty', 'config.severity: must be one of info, warning, error', 'config.message: is required'],
    });
  });
});
