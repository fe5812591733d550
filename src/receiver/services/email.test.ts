import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy } from '../../delivery/ssrf.js';
import { createEmailSender, EmailSendError, NO_SMTP_MESSAGE, type EmailSender } from './email.js';
import { closedPort, startSmtpServer, type SmtpTestServer } from './test-support.js';

async function sendError(p: Promise<unknown>): Promise<EmailSendError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EmailSendError, `expected an EmailSendError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the send to fail');
}

describe('createEmailSender with a real SMTP server', () => {
  let smtp: SmtpTestServer;
  let sender: EmailSender;
  before(async () => {
    smtp = await startSmtpServer();
    sender = createEmailSender({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'Switchyard <noreply@switchyard.test>' });
  });
  after(async () => {
    sender.close();
    await smtp.close();
  });

  it('delivers subject, recipients and body through the default server', async () => {
    const info = await sender({ to: ['ops@example.com'], cc: ['lead@example.com'], subject: 'Experiment 42 completed ✓', text: 'All good.\nBye' });
    assert.match(info.messageId, /^<.+@.+>$/);
    assert.deepEqual(info.accepted, ['ops@example.com', 'lead@example.com']);
    const mail = smtp.mails.at(-1)!;
    assert.equal(mail.subject, 'Experiment 42 completed ✓');
    assert.deepEqual(mail.recipients, ['ops@example.com', 'lead@example.com']);
    assert.equal(mail.from, 'noreply@switchyard.test');
    assert.equal(mail.headers.cc, 'lead@example.com');
    assert.equal(mail.body.replace(/\r\n/g, '\n'), 'All good.\nBye');
  });

  it('reuses one pooled transport for the same settings', async () => {
    const before = smtp.mails.length;
    await Promise.all([1, 2, 3].map((i) => sender({ to: ['a@example.com'], subject: `n${i}`, text: 'x' })));
    assert.equal(smtp.mails.length, before + 3);
  });

  it('a recipient the server refuses with 550 is a permanent failure', async () => {
    const err = await sendError(sender({ to: ['reject@example.com'], subject: 's', text: 't' }));
    assert.equal(err.message, 'recipient rejected: 550 5.1.1 no such mailbox here (reject@example.com)');
    assert.equal(err.retryable, false);
    assert.equal(err.responseCode, 550);
  });

  it('a 450 reply is worth retrying', async () => {
    const err = await sendError(sender({ to: ['busy@example.com'], subject: 's', text: 't' }));
    assert.match(err.message, /^recipient rejected: 450 4\.2\.1 mailbox busy/);
    assert.equal(err.retryable, true);
  });

  it('accepted lists only the recipients the server took', async () => {
    const info = await sender({ to: ['reject@example.com', 'ok@example.com'], subject: 's', text: 't' });
    assert.deepEqual(info.accepted, ['ok@example.com']);
  });
});

describe('createEmailSender failures', () => {
  it('says how to configure SMTP when none is configured', async () => {
    const sender = createEmailSender(null);
    const err = await sendError(sender({ to: ['a@example.com'], subject: 's', text: 't' }));
    assert.equal(err.message, NO_SMTP_MESSAGE);
    assert.equal(err.retryable, false);
    sender.close();
  });

  it('nothing listening: a retryable refused connection that names the server', async () => {
    const port = await closedPort();
    const sender = createEmailSender({ host: '127.0.0.1', port, secure: false });
    const err = await sendError(sender({ to: ['a@example.com'], subject: 's', text: 't' }));
    assert.equal(err.message, `SMTP server 127.0.0.1:${port} refused the connection`);
    assert.equal(err.retryable, true);
    sender.close();
  });

  it('a step-given server is checked by the outbound policy; the default one is not', async () => {
    const smtp = await startSmtpServer();
    const sender = createEmailSender({ host: '127.0.0.1', port: smtp.port, secure: false }, { policy: new OutboundPolicy([]) });
    try {
      await sender({ to: ['a@example.com'], subject: 'default', text: 't' });
      const err = await sendError(sender({ to: ['a@example.com'], subject: 's', text: 't' }, { host: '127.0.0.1', port: smtp.port, secure: false }));
      assert.match(err.message, /refused by the SSRF guard \(not retried\): 127\.0\.0\.1 is a loopback address/);
      assert.equal(err.retryable, false);
      const byName = await sendError(sender({ to: ['a@example.com'], subject: 's', text: 't' }, { host: 'localhost', port: smtp.port, secure: false }));
      assert.match(byName.message, /SSRF guard/);
    } finally {
      sender.close();
      await smtp.close();
    }
    assert.deepEqual(smtp.mails.map((m) => m.subject), ['default']);
  });

  it('a step-given server on an allowed range is reached through the guarded socket', async () => {
    const smtp = await startSmtpServer();
    const sender = createEmailSender(null, { policy: new OutboundPolicy(['127.0.0.0/8', '::1']) });
    try {
      await sender({ to: ['a@example.com'], subject: 'guarded', text: 't' }, { host: 'localhost', port: smtp.port, secure: false });
    } finally {
      sender.close();
      await smtp.close();
    }
    assert.equal(smtp.mails[0]?.subject, 'guarded');
  });

  it('STARTTLS: verifies the certificate by default; rejectUnauthorized: false accepts a self-signed one', async () => {
    const smtp = await startSmtpServer({ disabledCommands: [] });
    const strict = createEmailSender({ host: '127.0.0.1', port: smtp.port, secure: false });
    const lax = createEmailSender({ host: '127.0.0.1', port: smtp.port, secure: false }, { rejectUnauthorized: false });
    try {
      const err = await sendError(strict({ to: ['a@example.com'], subject: 's', text: 't' }));
      assert.match(err.message, new RegExp(`^TLS with SMTP server 127\\.0\\.0\\.1:${smtp.port} failed: `));
      assert.equal(err.retryable, false);
      await lax({ to: ['a@example.com'], subject: 'over tls', text: 't' });
      assert.equal(smtp.mails[0]?.subject, 'over tls');
    } finally {
      strict.close();
      lax.close();
      await smtp.close();
    }
  });

  it('logs in with user and password; a refused login is named and not retried', async () => {
    const smtp = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'bot' && auth.password === 's3cret') return cb(null, { user: 'bot' });
        cb(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
      },
    });
    const sender = createEmailSender(null);
    const server = { host: '127.0.0.1', port: smtp.port, secure: false, user: 'bot' };
    try {
      await sender({ to: ['a@example.com'], subject: 'authed', text: 't' }, { ...server, password: 's3cret' });
      const err = await sendError(sender({ to: ['a@example.com'], subject: 's', text: 't' }, { ...server, password: 'wrong' }));
      assert.equal(err.message, `SMTP server 127.0.0.1:${smtp.port} rejected the login: 535 5.7.8 bad credentials`);
      assert.equal(err.retryable, false);
    } finally {
      sender.close();
      await smtp.close();
    }
    assert.deepEqual(smtp.mails.map((m) => m.subject), ['authed']);
  });
});
