import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StepOutcome } from '../../../core/flow/types.js';
import { OutboundPolicy } from '../../../delivery/ssrf.js';
import { createHttpClient, type HttpClient } from '../../services/http.js';
import { closedPort, startHttpServer, type HttpTestServer } from '../../services/test-support.js';
import { runStep, validateStepConfig } from '../registry.js';
import { makeServices, never } from '../test-support.js';

const TOKEN = 'T00000000/B00000000/XXXXsecretXXXXtoken';

function expectError(o: StepOutcome): { error: string; retryable: boolean } {
  assert.equal(o.status, 'error', JSON.stringify(o));
  return o as { error: string; retryable: boolean };
}

describe('post_slack against a local Slack-like webhook server', () => {
  let slack: HttpTestServer;
  let http: HttpClient;
  before(async () => {
    // Answers like Slack's incoming webhooks; the path's last part picks the answer.
    slack = await startHttpServer((req, res) => {
      const kind = req.url.split('/').at(-1);
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/html', ...headers });
        res.end(body);
      };
      if (kind === 'ratelimited') return reply(429, 'rate_limited', { 'retry-after': '30' });
      if (kind === 'down') return reply(503, 'service_unavailable');
      if (kind === 'gone') return reply(404, 'no_service');
      if (kind === 'echo') return reply(400, `invalid_payload for http://127.0.0.1:${slack.port}${req.url}`);
      if (kind === 'weird') return reply(200, '<html>not slack</html>');
      const payload = JSON.parse(req.body) as { text?: string; blocks?: unknown };
      if (!payload.text && !payload.blocks) return reply(400, 'no_text');
      reply(200, 'ok');
    });
    http = createHttpClient(new OutboundPolicy(['127.0.0.0/8']));
  });
  after(async () => {
    await http.close();
    await slack.close();
  });

  const url = (kind: string) => `${slack.url}/services/${TOKEN}/${kind}`;

  it('posts the message as JSON; 200 ok is success', async () => {
    const outcome = await runStep('post_slack', {
      webhookUrl: url('good'), text: 'Experiment *mnist* completed', username: 'Switchyard', iconEmoji: 'robot_face',
    }, makeServices({ http }), never);
    assert.deepEqual(outcome, { status: 'ok', output: { ok: true, status: 200 } });
    const seen = slack.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.match(String(seen.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(seen.body), { text: 'Experiment *mnist* completed', username: 'Switchyard', icon_emoji: ':robot_face:' });
  });

  it('sends blocks given as JSON text', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }];
    const outcome = await runStep('post_slack', { webhookUrl: url('good'), blocks: JSON.stringify(blocks) }, makeServices({ http }), never);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(JSON.parse(slack.requests.at(-1)!.body), { blocks });
  });

  it("4xx: not retried, with Slack's error text", async () => {
    const o = expectError(await runStep('post_slack', { webhookUrl: url('gone'), text: 'x' }, makeServices({ http }), never));
    assert.equal(o.error, 'Slack rejected the message (404 no_service)');
    assert.equal(o.retryable, false);
  });

  it('429 and 5xx are retried', async () => {
    const limited = expectError(await runStep('post_slack', { webhookUrl: url('ratelimited'), text: 'x' }, makeServices({ http }), never));
    assert.equal(limited.error, 'Slack rate-limited the webhook (429, retry after 30 s)');
    assert.equal(limited.retryable, true);
    const down = expectError(await runStep('post_slack', { webhookUrl: url('down'), text: 'x' }, makeServices({ http }), never));
    assert.equal(down.error, 'Slack answered 503: service_unavailable');
    assert.equal(down.retryable, true);
  });

  it('2xx without "ok" is a failure', async () => {
    const o = expectError(await runStep('post_slack', { webhookUrl: url('weird'), text: 'x' }, makeServices({ http }), never));
    assert.match(o.error, /answered 200 but not "ok": <html>not slack<\/html>/);
    assert.equal(o.retryable, false);
  });

  it('a webhook URL given as a secret never appears in the outcome, even when echoed back', async () => {
    const secrets = { SLACK_URL: url('echo') };
    const o = expectError(await runStep('post_slack', { webhookUrl: { secret: 'SLACK_URL' }, text: 'x' }, makeServices({ http, secrets }), never));
    assert.equal(o.error, 'Slack rejected the message (400 invalid_payload for [secret SLACK_URL])');
    for (const s of [secrets.SLACK_URL, TOKEN, 'XXXXsecretXXXXtoken']) assert.ok(!JSON.stringify(o).includes(s));

    const ok = await runStep('post_slack', { webhookUrl: { secret: 'GOOD' }, text: 'x' }, makeServices({ http, secrets: { GOOD: url('good') } }), never);
    assert.deepEqual(ok, { status: 'ok', output: { ok: true, status: 200 } });
  });

  it('an error message that echoes the URL (as a library might) is scrubbed', async () => {
    const secret = url('good');
    const leaky = makeServices({
      secrets: { SLACK_URL: secret },
      http: (req) => Promise.reject(Object.assign(new Error(`connect ECONNRESET while posting to ${req.url}`), { code: 'ECONNRESET' })),
    });
    const o = expectError(await runStep('post_slack', { webhookUrl: { secret: 'SLACK_URL' }, text: 'x' }, leaky, never));
    assert.ok(!o.error.includes(TOKEN), o.error);
    assert.match(o.error, /\[secret SLACK_URL\]/);
    assert.equal(o.retryable, true);
  });

  it('nothing listening: retryable', async () => {
    const port = await closedPort();
    const o = expectError(await runStep('post_slack', { webhookUrl: `http://127.0.0.1:${port}/services/x`, text: 'x' }, makeServices({ http }), never));
    assert.match(o.error, /^posting to the Slack webhook failed: connection refused/);
    assert.equal(o.retryable, true);
  });

  it('a webhook on a network the policy refuses is not retried, and the secret URL stays hidden', async () => {
    const guarded = createHttpClient(new OutboundPolicy([]));
    try {
      const secrets = { SLACK_URL: url('good') };
      const o = expectError(await runStep('post_slack', { webhookUrl: { secret: 'SLACK_URL' }, text: 'x' }, makeServices({ http: guarded, secrets }), never));
      assert.match(o.error, /refused by the SSRF guard \(not retried\): 127\.0\.0\.1 is a loopback address/);
      assert.equal(o.retryable, false);
      assert.ok(!o.error.includes(TOKEN));
    } finally {
      await guarded.close();
    }
  });
});

describe('post_slack config', () => {
  it('needs text or blocks and an http(s) URL', () => {
    assert.deepEqual(validateStepConfig('post_slack', { webhookUrl: 'hooks.slack.com/services/x' }), {
      ok: false,
      problems: ['config.text: text or blocks is required', 'config.webhookUrl: must be an https:// URL (Slack incoming webhook)'],
    });
    assert.deepEqual(validateStepConfig('post_slack', { webhookUrl: { secret: 'S' }, text: 'hi' }), {
      ok: true, config: { webhookUrl: { secret: 'S' }, text: 'hi' },
    });
  });

  it('a secret that does not hold a URL: a permanent error that does not show the value', async () => {
    const o = expectError(await runStep('post_slack', { webhookUrl: { secret: 'S' }, text: 'x' }, makeServices({ secrets: { S: 'not-a-url-xyz' } }), never));
    assert.equal(o.error, 'secret "S" (webhookUrl) is not an http(s) URL');
    assert.equal(o.retryable, false);
  });
});
