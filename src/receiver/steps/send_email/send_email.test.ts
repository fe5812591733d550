import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StepOutcome } from '../../../core/flow/types.js';
import { createEmailSender, NO_SMTP_MESSAGE, type EmailSender } from '../../services/email.js';
import { closedPort, startSmtpServer, type SmtpTestServer } from '../../services/test-support.js';
import { runStep, validateStepConfig } from '../registry.js';
import { makeServices, never } from '../test-support.js';
import { addressOf, splitAddresses } from './index.js';

function expectError(o: StepOutcome): { error: string; retryable: boolean } {
  assert.equal(o.status, 'error', JSON.stringify(o));
  return o as { error: string; retryable: boolean };
}

describe('send_email with a real SMTP server', () => {
  let smtp: SmtpTestServer;
  let sender: EmailSender;
  before(async () => {
    smtp = await startSmtpServer();
    sender = createEmailSender({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'switchyard@example.com' });
  });
  after(async () => {
    sender.close();
    await smtp.close();
  });

  it('sends what the config says; output has messageId, accepted and rejected', async () => {
    const outcome = await runStep('send_email', {
      to: 'ops@example.com, "Doe, Jane" <jane@example.org>',
      cc: ['lead@example.com'],
      subject: 'Experiment mnist-cnn\ncompleted',
      text: 'Experiment mnist-cnn (id 42) finished: COMPLETED.',
    }, makeServices({ sendEmail: sender }), never);
    assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
    const output = (outcome as { output: { messageId: string; accepted: string[]; rejected: string[] } }).output;
    assert.match(output.messageId, /^<.+>$/);
    assert.deepEqual(output.accepted, ['ops@example.com', 'jane@example.org', 'lead@example.com']);
    assert.deepEqual(output.rejected, []);
    const mail = smtp.mails.at(-1)!;
    assert.equal(mail.subject, 'Experiment mnist-cnn completed');
    assert.deepEqual(mail.recipients, ['ops@example.com', 'jane@example.org', 'lead@example.com']);
    assert.equal(mail.headers.to, 'ops@example.com, "Doe, Jane" <jane@example.org>');
    assert.equal(mail.body, 'Experiment mnist-cnn (id 42) finished: COMPLETED.');
    assert.equal(mail.from, 'switchyard@example.com');
  });

  it('sends html with a text alternative', async () => {
    const outcome = await runStep('send_email', {
      to: 'ops@example.com', subject: 'both', text: 'plain version', html: '<p>html version</p>', from: 'Flows <flows@example.com>',
    }, makeServices({ sendEmail: sender }), never);
    assert.equal(outcome.status, 'ok');
    const mail = smtp.mails.at(-1)!;
    assert.match(mail.headers['content-type'] ?? '', /^multipart\/alternative/);
    assert.match(mail.raw, /plain version/);
    assert.match(mail.raw, /<p>html version<\/p>/);
    assert.equal(mail.from, 'flows@example.com');
  });

  it('a 550 recipient is a permanent failure that quotes the reply', async () => {
    const o = expectError(await runStep('send_email', { to: 'reject@example.com', subject: 's', text: 't' }, makeServices({ sendEmail: sender }), never));
    assert.equal(o.error, 'recipient rejected: 550 5.1.1 no such mailbox here (reject@example.com)');
    assert.equal(o.retryable, false);
  });

  it('a 450 recipient is retried', async () => {
    const o = expectError(await runStep('send_email', { to: 'busy@example.com', subject: 's', text: 't' }, makeServices({ sendEmail: sender }), never));
    assert.equal(o.retryable, true);
  });

  it('lists recipients refused while others were accepted', async () => {
    const outcome = await runStep('send_email', { to: ['reject@example.com', 'ok@example.com'], subject: 's', text: 't' }, makeServices({ sendEmail: sender }), never);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual((outcome as { output: unknown }).output, {
      messageId: (outcome as { output: { messageId: string } }).output.messageId, accepted: ['ok@example.com'], rejected: ['reject@example.com'],
    });
  });
});

describe('send_email with its own smtp block', () => {
  it('logs in with a password given as a secret, which never shows in the outcome', async () => {
    const smtp = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _s, cb) {
        if (auth.username === 'bot' && auth.password === 'pw-Zq81') return cb(null, { user: 'bot' });
        cb(Object.assign(new Error(`5.7.8 bad password ${auth.password ?? ''}`), { responseCode: 535 }));
      },
    });
    const sender = createEmailSender(null);
    const config = (secret: string) => ({
      to: 'a@example.com', subject: 'own smtp', text: 't',
      smtp: { host: '127.0.0.1', port: String(smtp.port), user: 'bot', password: { secret } },
    });
    try {
      const good = await runStep('send_email', config('SMTP_PASS'), makeServices({ sendEmail: sender, secrets: { SMTP_PASS: 'pw-Zq81' } }), never);
      assert.equal(good.status, 'ok', JSON.stringify(good));
      const bad = expectError(await runStep('send_email', config('SMTP_PASS'), makeServices({ sendEmail: sender, secrets: { SMTP_PASS: 'pw-wrong' } }), never));
      assert.equal(bad.error, `SMTP server 127.0.0.1:${smtp.port} rejected the login: 535 5.7.8 bad password [secret SMTP_PASS]`);
      assert.equal(bad.retryable, false);
      const missing = expectError(await runStep('send_email', config('NOPE'), makeServices({ sendEmail: sender }), never));
      assert.equal(missing.error, 'secret "NOPE" is not set: set it with `switchyard secrets set NOPE` or PUT /api/v1/secrets/NOPE {"value": "…"}');
      assert.equal(missing.retryable, false);
    } finally {
      sender.close();
      await smtp.close();
    }
    assert.equal(smtp.mails.length, 1);
  });

  it('nothing listening: a retryable error naming the server', async () => {
    const port = await closedPort();
    const sender = createEmailSender(null);
    try {
      const o = expectError(await runStep('send_email', {
        to: 'a@example.com', subject: 's', text: 't', smtp: { host: '127.0.0.1', port },
      }, makeServices({ sendEmail: sender }), never));
      assert.equal(o.error, `SMTP server 127.0.0.1:${port} refused the connection`);
      assert.equal(o.retryable, true);
    } finally {
      sender.close();
    }
  });

  it('no SMTP configured anywhere: says how to configure one', async () => {
    const sender = createEmailSender(null);
    const o = expectError(await runStep('send_email', { to: 'a@example.com', subject: 's', text: 't' }, makeServices({ sendEmail: sender }), never));
    assert.equal(o.error, NO_SMTP_MESSAGE);
    assert.equal(o.retryable, false);
  });
});

describe('send_email config', () => {
  it('reports bad addresses and a missing body by path', () => {
    assert.deepEqual(validateStepConfig('send_email', { to: ['ops@example.com', 'not an address'], subject: 's', text: 't' }), {
      ok: false, problems: ['config.to[1]: must be an email address'],
    });
    assert.deepEqual(validateStepConfig('send_email', { to: 'a@example.com', subject: 's' }), {
      ok: false, problems: ['config.text: text or html is required'],
    });
    const r = validateStepConfig('send_email', { to: 'a@example.com', subject: 's', text: 't', smtp: { host: 'mx', port: 'x', secure: 'yes' } });
    assert.deepEqual(r, { ok: false, problems: ['config.smtp.port: must be a number', 'config.smtp.secure: must be a boolean'] });
  });

  it('a bad entry in a comma-separated string is reported at the field', () => {
    assert.deepEqual(validateStepConfig('send_email', { to: 'ops@example.com, nobody', subject: 's', text: 't' }), {
      ok: false, problems: ['config.to: must be an email address (or a comma-separated list of them)'],
    });
    assert.deepEqual(validateStepConfig('send_email', { subject: 's', text: 't' }), { ok: false, problems: ['config.to: is required'] });
    assert.deepEqual(validateStepConfig('send_email', { to: 'a@example.com', cc: '', subject: 's', text: 't' }), {
      ok: true, config: { to: ['a@example.com'], cc: [], subject: 's', text: 't' },
    });
  });

  it('rejects header injection through addresses', () => {
    const r = validateStepConfig('send_email', { to: 'a@example.com\r\nBcc: victim@example.com', subject: 's', text: 't' });
    assert.equal(r.ok, false);
  });

  it('parses address lists', () => {
    assert.deepEqual(splitAddresses('a@x.org; "B, C" <b@y.org>,, d@z.org '), ['a@x.org', '"B, C" <b@y.org>', 'd@z.org']);
    assert.equal(addressOf('Jane <jane@example.org>'), 'jane@example.org');
    assert.equal(addressOf('jane@localhost'), 'jane@localhost');
    assert.equal(addressOf('jane@'), null);
    assert.equal(addressOf('<x@y.org'), null);
  });
});
