/**
 * `switchyard alerts channels list|create|delete|test` against a real server and a real HTTP sink: what each prints,
 * that secrets are not printed, exit codes, and errors in plain words.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, startTestServer, type Sink, type TestServer } from '../helpers/harness.js';
import { cli } from '../../src/cli/test-support.js';

let s: TestServer;
let sink: Sink;
let env: Record<string, string>;
before(async () => {
  sink = await startSink();
  s = await startTestServer();
  env = { SWITCHYARD_URL: s.url, SWITCHYARD_TOKEN: s.token };
});
after(async () => { await s.stop(); await sink.close(); });

test('alerts channels: create (email, Slack, HTTP with headers and filters), list, test, delete', async () => {
  const empty = await cli(['alerts', 'channels', 'list'], { env });
  assert.equal(empty.code, 0, empty.err);
  assert.match(empty.out, /^no alert channels; add one: switchyard alerts channels create/);

  const mail = await cli(['alerts', 'channels', 'create', '--name', 'ops-mail', '--email', 'a@example.com', '--email', 'b@example.com', '--severity', 'error'], { env });
  assert.equal(mail.code, 0, mail.err);
  assert.match(mail.out, /^created alert channel (\d+) \(ops-mail, email\); try it: switchyard alerts channels test \1\n$/);
  const slack = await cli(['alerts', 'channels', 'create', '--name', 'ops-slack', '--slack-url', `${sink.url}/services/SECRET-SLACK-PATH`, '--alert-name', 'signature check failed'], { env });
  assert.equal(slack.code, 0, slack.err);
  const hook = await cli(['alerts', 'channels', 'create', '--name', 'pager', '--http-url', `${sink.url}/pager`, '--header', 'Authorization: Bearer cli-secret-token', '--kind', 'flow.alert'], { env });
  assert.equal(hook.code, 0, hook.err);
  const pagerId = /created alert channel (\d+)/.exec(hook.out)![1];

  const list = await cli(['alerts', 'channels', 'list'], { env });
  assert.equal(list.code, 0, list.err);
  const lines = list.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+NAME\s+KIND\s+ENABLED\s+TARGET\s+FILTER$/);
  assert.match(lines[1]!, /^\d+\s+ops-mail\s+email\s+yes\s+a@example\.com, b@example\.com\s+severities=error$/);
  assert.match(lines[2]!, /^\d+\s+ops-slack\s+slack\s+yes\s+http:\/\/127\.0\.0\.1:\d+\/…\(redacted\)\s+names=signature check failed$/);
  assert.match(lines[3]!, /^\d+\s+pager\s+http\s+yes\s+http:\/\/127\.0\.0\.1:\d+\/pager\s+kinds=flow\.alert$/);
  assert.ok(!list.out.includes('SECRET-SLACK-PATH') && !list.out.includes('cli-secret-token'), list.out);
  const json = await cli(['alerts', 'channels', 'list', '--json'], { env });
  assert.equal(JSON.parse(json.out).channels.length, 3);

  const t = await cli(['alerts', 'channels', 'test', pagerId!], { env });
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^test notification sent: POST http:\/\/127\.0\.0\.1:\d+\/pager answered 200\n$/);
  assert.equal(sink.byPath('/pager')[0]!.headers.authorization, 'Bearer cli-secret-token');

  const del = await cli(['alerts', 'channels', 'delete', pagerId!], { env });
  assert.equal(del.code, 0, del.err);
  assert.equal(del.out, `deleted alert channel ${pagerId}\n`);
  const again = await cli(['alerts', 'channels', 'delete', pagerId!], { env });
  assert.notEqual(again.code, 0);
  assert.match(again.err, new RegExp(`alert channel ${pagerId} not found`));
});

test('alerts channels create refuses unclear or bad options before or at the server, in plain words', async () => {
  const none = await cli(['alerts', 'channels', 'create', '--name', 'x'], { env });
  assert.notEqual(none.code, 0);
  assert.match(none.err, /give exactly one of --email, --slack-url and --http-url/);
  const two = await cli(['alerts', 'channels', 'create', '--name', 'x', '--email', 'a@example.com', '--http-url', 'https://example.com'], { env });
  assert.match(two.err, /give exactly one of/);
  const header = await cli(['alerts', 'channels', 'create', '--name', 'x', '--http-url', 'https://example.com', '--header', 'no-colon'], { env });
  assert.notEqual(header.code, 0);
  assert.match(header.err, /--header "no-colon" must look like "Name: value"/);
  const badMail = await cli(['alerts', 'channels', 'create', '--name', 'x', '--email', 'nope'], { env });
  assert.notEqual(badMail.code, 0);
  assert.match(badMail.err, /"nope" is not an email address/);
  const ssrf = await cli(['alerts', 'channels', 'create', '--name', 'x', '--http-url', 'http://169.254.169.254/'], { env });
  assert.match(ssrf.err, /SSRF guard/);
  assert.equal((await cli(['alerts', 'channels', 'list', '--json'], { env })).out.includes('"name": "x"'), false);
});
