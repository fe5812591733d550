import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpRequest } from '../../core/flow/types.js';
import { z } from 'zod';
import { formatPath, redactSecretRefs, registerStep, resolveSecretRefs, runStep, stepRegistry, stepTypes, validateStepConfig } from './registry.js';
import { MissingSecretError, SecretScope, secretRefNames } from './secrets.js';
import { makeServices, never } from './test-support.js';

describe('step registry', () => {
  it('registers the built-in steps with schema, title and action flag', () => {
    assert.deepEqual(stepTypes(), [
      { type: 'send_email', title: 'Send an email', action: true },
      { type: 'post_slack', title: 'Post to Slack', action: true },
      { type: 'http_request', title: 'Send an HTTP request', action: true },
      { type: 'alert', title: 'Raise an alert', action: true },
      { type: 'noop', title: 'Do nothing (pass a value on)', action: false },
      { type: 'verify_signature', title: 'Verify signature', action: false },
      { type: 'code', title: 'Run code (Python or JavaScript)', action: false },
    ]);
    for (const [type, def] of Object.entries(stepRegistry)) assert.equal(def.type, type);
  });

  it('registerStep adds a type once; runStep turns a throwing step into a failure', async () => {
    registerStep({
      type: 'test_throws', title: 'Throws', action: true, configSchema: z.object({ key: z.string() }),
      run: () => Promise.reject(new Error('boom with topsecret-value')),
    });
    assert.throws(() => registerStep({ ...stepRegistry.noop!, type: 'noop' }), /already registered/);
    const outcome = await runStep('test_throws', { key: { secret: 'K' } } as unknown, makeServices({ secrets: { K: 'topsecret-value' } }), never);
    assert.equal(outcome.status, 'error'); // the config is invalid (key must be a string): nothing ran
    const ran = await runStep('test_throws', { key: 'x', other: { secret: 'K' } }, makeServices({ secrets: { K: 'topsecret-value' } }), never);
    assert.deepEqual(ran, { status: 'error', error: 'step test_throws failed unexpectedly: boom with [secret K]', retryable: true });
    delete stepRegistry.test_throws;
  });

  it('validateStepConfig normalises rendered values and names problems by path', () => {
    assert.deepEqual(validateStepConfig('send_email', {
      to: 'a@example.com; b@example.com', subject: 'x', text: 'y', smtp: { host: 'mx', port: '2525', secure: 'TRUE', password: { secret: 'P' } },
    }), {
      ok: true,
      config: { to: ['a@example.com', 'b@example.com'], subject: 'x', text: 'y', smtp: { host: 'mx', port: 2525, secure: true, password: { secret: 'P' } } },
    });
    assert.deepEqual(validateStepConfig('send_email', { to: ['x'], subject: 's', text: 't', bcc: 'z' }), {
      ok: false, problems: ['config.to[0]: must be an email address', 'config: unknown key "bcc"'],
    });
    assert.deepEqual(validateStepConfig('send_email', { to: 5, subject: 's', text: 't', smtp: { port: 25, password: { secret: '' } } }), {
      ok: false,
      problems: [
        'config.to: must be an email address or a list of them',
        'config.smtp.host: is required',
        'config.smtp.password.secret: must be a secret name: a letter, then letters, digits and _ (at most 64)',
      ],
    });
    assert.deepEqual(validateStepConfig('noop', null), { ok: false, problems: ['config: must be an object'] });
    assert.deepEqual(validateStepConfig('nope', {}), {
      ok: false, problems: ['unknown step type "nope"; known: send_email, post_slack, http_request, alert, noop, verify_signature, code'],
    });
  });

  it('formats paths', () => {
    assert.equal(formatPath([]), 'config');
    assert.equal(formatPath(['to', 0]), 'config.to[0]');
    assert.equal(formatPath(['headers', 'X-Api-Key']), 'config.headers.X-Api-Key');
    assert.equal(formatPath(['headers', 'a b']), 'config.headers["a b"]');
  });

  it('runStep: an invalid config is a permanent failure that lists the problems', async () => {
    assert.deepEqual(await runStep('alert', { name: 'x' }, makeServices(), never), {
      status: 'error', error: 'invalid alert config: config.message: is required', retryable: false,
    });
  });

  it('scrubs secrets when a step is run directly, not only through runStep', async () => {
    const url = 'https://hooks.slack.example/services/T1/B2/abcdef';
    const services = makeServices({
      secrets: { HOOK: url },
      http: (req: HttpRequest) => Promise.reject(new Error(`socket hang up (${req.url})`)),
    });
    const checked = validateStepConfig('post_slack', { webhookUrl: { secret: 'HOOK' }, text: 'x' });
    assert.ok(checked.ok);
    const outcome = await stepRegistry.post_slack!.run(checked.config, services, never);
    assert.equal(outcome.status, 'error');
    assert.ok(!JSON.stringify(outcome).includes('abcdef'), JSON.stringify(outcome));
  });
});

describe('secret references', () => {
  const lookup = (name: string) => ({ PASS: 'hunter2', URL: 'https://x.example/a b?c=1' } as Record<string, string>)[name];

  it('resolveSecretRefs replaces references by values; a missing one throws', () => {
    const config = { smtp: { password: { secret: 'PASS' } }, headers: { A: { secret: 'URL' }, B: 'plain' }, list: [{ secret: 'PASS' }] };
    assert.deepEqual(resolveSecretRefs(config, lookup), {
      smtp: { password: 'hunter2' }, headers: { A: 'https://x.example/a b?c=1', B: 'plain' }, list: ['hunter2'],
    });
    assert.throws(() => resolveSecretRefs({ p: { secret: 'NOPE' } }, lookup), (e: unknown) => e instanceof MissingSecretError && e.message === 'secret "NOPE" is not set: set it with `switchyard secrets set NOPE` or PUT /api/v1/secrets/NOPE {"value": "…"}');
  });

  it('only an object with exactly one string `secret` key is a reference', () => {
    const config = { a: { secret: 'PASS', other: 1 }, b: { secret: 5 } };
    assert.deepEqual(resolveSecretRefs(config, lookup), config);
    assert.deepEqual(secretRefNames({ a: [{ secret: 'X' }], b: { c: { secret: 'Y' } } }), ['X', 'Y']);
  });

  it('redactSecretRefs shows references as [secret NAME] for recording', () => {
    assert.deepEqual(redactSecretRefs({ webhookUrl: { secret: 'SLACK' }, text: 'hi' }), { webhookUrl: '[secret SLACK]', text: 'hi' });
  });

  it('scrubs raw, URL-encoded and JSON-escaped values from text, keys and nested outputs', () => {
    const scope = new SecretScope(lookup);
    scope.resolve([{ secret: 'PASS' }, { secret: 'URL' }]);
    assert.deepEqual(scope.names, ['PASS', 'URL']);
    assert.equal(scope.scrubText('pw=hunter2; u=https%3A%2F%2Fx.example%2Fa%20b%3Fc%3D1'), 'pw=[secret PASS]; u=[secret URL]');
    assert.deepEqual(scope.scrub({ 'k-hunter2': ['x hunter2 x', 3, null], ok: true }), { 'k-[secret PASS]': ['x [secret PASS] x', 3, null], ok: true });
  });

  it('a scope that resolved nothing leaves outputs untouched', () => {
    const out = { a: 'hunter2' };
    assert.equal(new SecretScope(lookup).scrub(out), out);
  });
});
