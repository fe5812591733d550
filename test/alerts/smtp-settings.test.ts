/**
 * SMTP settings over the API, with a real SMTP server that requires a login: admin only, the password write-only
 * (never in a response), bad input answering 400, the test email, and the settings used by send_email steps and
 * email alert channels; DELETE falls back to the config file (none here).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { startTestServer, type TestServer } from '../helpers/harness.js';

const USER = 'mailer';
const PASSWORD = 'p4ss-w0rd-very-secret';
interface Mail { to: string[]; subject: string; raw: string }
const mails: Mail[] = [];
let smtp: SMTPServer;
let port: number;
let s: TestServer;

before(async () => {
  smtp = new SMTPServer({
    authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASSWORD) cb(null, { user: USER });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? '', raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  port = (smtp.server.address() as AddressInfo).port;
  s = await startTestServer();
});
after(async () => { await s.stop(); await new Promise<void>((r) => smtp.close(() => r())); });

async function waitMails(n: number) {
  const end = Date.now() + 10_000;
  while (mails.length < n) {
    if (Date.now() > end) throw new Error(`got ${mails.length} mails, expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return mails;
}

test('no SMTP server at first; bad settings answer 400 naming the field; a user token gets 403', async () => {
  const r = await s.api('GET', '/api/v1/settings/smtp');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.smtp, { source: 'none', host: null, port: null, secure: null, user: null, from: null, passwordSet: false });
  const none = await s.api('POST', '/api/v1/settings/smtp/test', { to: 'me@example.com' });
  assert.equal(none.status, 400);
  assert.equal(none.body.error.type, 'smtp_not_configured');

  const cases: [unknown, string, RegExp][] = [
    [{ port: 25 }, 'invalid_argument', /smtp\.host is required/],
    [{ host: 'smtp example.com' }, 'invalid_argument', /smtp\.host must be a host name/],
    [{ host: 'smtp.example.com', port: 70000 }, 'invalid_argument', /smtp\.port must be between 1 and 65535/],
    [{ host: 'smtp.example.com', secure: 'yes' }, 'invalid_argument', /smtp\.secure must be true or false/],
    [{ host: 'smtp.example.com', from: 'nobody' }, 'invalid_argument', /smtp\.from must be an email address/],
    [{ host: 'smtp.example.com', password: 42 }, 'invalid_argument', /smtp\.password must be a string/],
    [{ host: 'smtp.example.com', tls: true }, 'unknown_field', /unknown field "tls"/],
  ];
  for (const [body, type, message] of cases) {
    const bad = await s.api('PUT', '/api/v1/settings/smtp', body);
    assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    assert.equal(bad.body.error.type, type, JSON.stringify(body));
    assert.match(bad.body.error.error, message);
  }
  assert.equal((await s.api('POST', '/api/v1/settings/smtp/test', { to: 'not an address' })).body.error.type, 'invalid_argument');
  const user = (await s.api('POST', '/api/v1/tokens', { name: 'u', role: 'user' })).body.secret as string;
  for (const [method, body] of [['GET', undefined], ['PUT', { host: 'x.example.com' }], ['DELETE', undefined]] as const) {
    const denied = await s.api(method, '/api/v1/settings/smtp', body, { token: user });
    assert.equal(denied.status, 403, `${method}: ${denied.text}`);
    assert.equal(denied.body.error.type, 'permission_denied');
  }
  assert.equal((await s.api('GET', '/api/v1/settings/smtp')).body.smtp.source, 'none', 'nothing was stored');
});

test('settings with a write-only password: test email, send_email steps and email alert channels use them', async () => {
  const put = await s.api('PUT', '/api/v1/settings/smtp', { host: '127.0.0.1', port, user: USER, password: PASSWORD, from: 'Alerts <alerts@example.com>' });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.smtp, { source: 'api', host: '127.0.0.1', port, secure: false, user: USER, from: 'Alerts <alerts@example.com>', passwordSet: true });
  const got = await s.api('GET', '/api/v1/settings/smtp');
  assert.ok(!got.text.includes(PASSWORD) && !put.text.includes(PASSWORD), 'the password is never returned');

  const t = await s.api('POST', '/api/v1/settings/smtp/test', { to: 'me@example.com' });
  assert.equal(t.status, 200, t.text);
  assert.deepEqual(t.body.accepted, ['me@example.com']);
  assert.equal((await waitMails(1))[0]!.subject, '[Switchyard] SMTP test');

  // A send_email step without an smtp block of its own.
  const flow = (await s.api('POST', '/api/v1/flows', {
    name: 'mailer', steps: [{ id: 'm', type: 'send_email', config: { to: 'team@example.com', subject: 'capture {{capture.id}}', text: 'hi' } }],
  })).body.flow;
  const hook = await fetch(flow.catchUrl, { method: 'POST', body: '{}' });
  const { captureId } = (await hook.json()) as { captureId: number };
  const step = (await waitMails(2))[1]!;
  assert.deepEqual(step.to, ['team@example.com']);
  assert.equal(step.subject, `capture ${captureId}`);
  assert.match(step.raw, /^From: Alerts <alerts@example\.com>/m);

  // An email alert channel.
  const ch = await s.api('POST', '/api/v1/alert-channels', { name: 'mail', kind: 'email', config: { to: ['ops@example.com'] } });
  assert.equal((await s.api('POST', `/api/v1/alert-channels/${ch.body.channel.id}/test`)).status, 200);
  assert.deepEqual((await waitMails(3))[2]!.to, ['ops@example.com']);

  // PUT without a password keeps the stored one; a wrong password makes the test fail with the server's answer.
  const keep = await s.api('PUT', '/api/v1/settings/smtp', { host: '127.0.0.1', port, user: USER });
  assert.equal(keep.body.smtp.passwordSet, true);
  assert.equal((await s.api('POST', '/api/v1/settings/smtp/test', { to: 'me@example.com' })).status, 200);
  await s.api('PUT', '/api/v1/settings/smtp', { host: '127.0.0.1', port, user: USER, password: 'wrong' });
  const bad = await s.api('POST', '/api/v1/settings/smtp/test', { to: 'me@example.com' });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.error.type, 'smtp_test_failed');
  assert.match(bad.body.error.error, /rejected the login: .*535/);
  const cleared = await s.api('PUT', '/api/v1/settings/smtp', { host: '127.0.0.1', port, password: null });
  assert.equal(cleared.body.smtp.passwordSet, false);

  const del = await s.api('DELETE', '/api/v1/settings/smtp');
  assert.equal(del.status, 200);
  assert.equal(del.body.smtp.source, 'none');
  assert.equal((await s.api('POST', '/api/v1/settings/smtp/test', { to: 'me@example.com' })).body.error.type, 'smtp_not_configured');
});

test('the settings survive a restart (the password sealed in the database)', async () => {
  await s.api('PUT', '/api/v1/settings/smtp', { host: '127.0.0.1', port, user: USER, password: PASSWORD });
  s = await s.restart();
  const before = mails.length;
  const t = await s.api('POST', '/api/v1/settings/smtp/test', { to: 'again@example.com' });
  assert.equal(t.status, 200, t.text);
  assert.deepEqual((await waitMails(before + 1))[before]!.to, ['again@example.com']);
});
