/**
 * `switchyard demo`: the seed's scenario on one machine with nothing else installed. It starts Switchyard (a fresh
 * SQLite file in a temp folder) and a local SMTP server, creates the flow (catch hook → verify_signature → paths:
 * PASS → email, otherwise → alert), registers a Determined webhook pointing at the catch URL, runs an experiment to
 * COMPLETED, and shows the verified run and the email as received; then sends a tampered request and shows the alert
 * path with its reason. With `exit`, it ends after the scenario: 0 only if both paths behaved as expected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startSmtpSink } from './dev/smtp-sink.js';
import { loadConfig } from './config.js';
import { startSwitchyard } from './server.js';

const out = (s = '') => process.stdout.write(`${s}\n`);

export const DEMO_FLOW = {
  name: 'determined-experiment-alerts',
  description: "The seed's Zap: verify Determined's signature, email the team when it passes, raise an alert when it does not.",
  steps: [
    { id: 'verify', type: 'verify_signature', config: { preset: 'determined', keys: [{ secret: 'DET_WEBHOOKS_SIGNING_KEY' }] } },
    {
      id: 'route', type: 'paths', paths: [
        {
          name: 'signature verified', when: { left: 'steps.verify.result', op: 'equals', right: 'PASS' },
          steps: [{
            id: 'email', type: 'send_email', config: {
              to: 'ml-team@example.com',
              subject: 'Experiment {{steps.verify.payload.event_data.experiment.name}} (#{{steps.verify.payload.event_data.experiment.id}}) is {{steps.verify.payload.event_data.experiment.state}}',
              text: 'Experiment {{steps.verify.payload.event_data.experiment.name}} (#{{steps.verify.payload.event_data.experiment.id}}) in workspace "{{steps.verify.payload.event_data.experiment.workspace}}" reached {{steps.verify.payload.event_data.experiment.state}} after {{steps.verify.payload.event_data.experiment.duration}} s on pool {{steps.verify.payload.event_data.experiment.resource_pool}}.',
            },
          }],
        },
        {
          name: 'not verified', fallback: true,
          steps: [{ id: 'alarm', type: 'alert', config: { name: 'Determined webhook signature failed', severity: 'error', message: '{{steps.verify.reason}}' } }],
        },
      ],
    },
  ],
};

async function until<T>(f: () => Promise<T | undefined | null | false>, ms: number): Promise<T | null> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runDemo(opts: { exit: boolean; port?: number }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const smtp = await startSmtpSink();
  const { mails } = smtp;
  const smtpPort = smtp.port;
  const token = `sy_demo_${randomBytes(12).toString('hex')}`;
  const config = loadConfig({ dataDir: join(dir, 'data'), port: opts.port ?? 0 }, {
    SWITCHYARD_ADMIN_TOKEN: token, SWITCHYARD_OUTBOUND_ALLOW: '127.0.0.0/8,::1', SWITCHYARD_SMTP_HOST: '127.0.0.1',
    SWITCHYARD_SMTP_PORT: String(smtpPort), SWITCHYARD_SMTP_FROM: 'switchyard-demo@localhost',
  });
  const sy = await startSwitchyard(config, { log: pino({ level: 'warn' }) });
  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${sy.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const j = await r.json() as any;
    if (!r.ok) throw new Error(`${method} ${path}: ${j?.error?.error ?? r.status}`);
    return j;
  };
  let okPass = false;
  let okAlert = false;
  try {
    out(`Switchyard demo — the seed's flow, end to end (server ${sy.url}, SMTP sink 127.0.0.1:${smtpPort})`);
    const key = (await api('GET', '/api/v1/keys/signing')).signingKey as string;
    await api('PUT', '/api/v1/secrets/DET_WEBHOOKS_SIGNING_KEY', { value: key });
    out('1. stored the signing key as the secret DET_WEBHOOKS_SIGNING_KEY (write-only)');
    const flow = (await api('POST', '/api/v1/flows', DEMO_FLOW)).flow;
    out(`2. created flow #${flow.id} "${flow.name}": catch hook → verify_signature → paths (PASS → email, else → alert)`);
    out(`   catch URL: ${flow.catchUrl}`);
    const wh = (await api('POST', '/api/v1/webhooks', {
      url: flow.catchUrl, name: 'to-switchyard-flow', webhookType: 'WEBHOOK_TYPE_DEFAULT',
      triggers: [{ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: 'COMPLETED' } }],
    })).webhook;
    out(`3. registered Determined webhook #${wh.id} → the catch URL, on COMPLETED`);
    const exp = (await api('POST', '/api/v1/experiments', { name: 'cifar10_pytorch_const', resourcePool: 'default', slotsPerTrial: 2 })).experiment;
    await api('POST', `/api/v1/experiments/${exp.id}/state`, { state: 'COMPLETED' });
    out(`4. experiment #${exp.id} "${exp.name}" → COMPLETED`);
    const run = await until(async () => {
      const runs = (await api('GET', `/api/v1/flows/${flow.id}/runs`)).runs;
      return runs.find((r: any) => r.status === 'succeeded' || r.status === 'failed');
    }, 20_000);
    const mail = await until(async () => mails[0], 10_000);
    if (run) {
      const detail = (await api('GET', `/api/v1/runs/${run.id}`)).run;
      out(`   run #${run.id}: ${detail.status}`);
      for (const s of detail.steps) out(`     ${s.stepId.padEnd(7)} ${s.status.padEnd(9)} ${s.durationMs} ms  ${s.stepId === 'verify' ? `result: ${s.output.result}` : s.stepId === 'route' ? `path: ${s.output.path}` : ''}`);
      okPass = detail.status === 'succeeded' && detail.steps.some((s: any) => s.stepId === 'email' && s.status === 'succeeded');
    }
    if (mail) out(`   email to ${mail.to.join(', ')}: "${mail.subject}"\n     ${mail.body.split('\n')[0]}`);
    okPass = okPass && Boolean(mail && mail.subject.includes('cifar10_pytorch_const') && mail.subject.includes('COMPLETED'));

    const capture = (await api('GET', `/api/v1/flows/${flow.id}/captures`)).captures[0];
    const headers: Record<string, string> = {};
    for (const h of capture.headers) if (/^(x-determined-ai-signature(-timestamp)?|content-type)$/i.test(h.name)) headers[h.name] = h.value;
    const tampered = String(capture.body).replace('"COMPLETED"', '"ERROR"');
    await fetch(flow.catchUrl, { method: 'POST', headers, body: tampered });
    out('5. sent the same request with the state changed to ERROR (a tampered body, the original signature)');
    const alert = await until(async () => (await api('GET', '/api/v1/alerts')).alerts.find((a: any) => a.kind === 'flow.alert'), 20_000);
    if (alert) out(`   alert "${alert.title}": ${alert.message}`);
    okAlert = Boolean(alert) && mails.length === 1;
    out();
    out(okPass && okAlert ? 'Both paths behaved as expected.' : `Unexpected: verified path ${okPass ? 'ok' : 'FAILED'}, alert path ${okAlert ? 'ok' : 'FAILED'}.`);
    if (!opts.exit) {
      out(`\nSwitchyard keeps running for you to explore: ${sy.url}/api/v1 with  Authorization: Bearer ${token}`);
      out(`  export SWITCHYARD_URL=${sy.url} SWITCHYARD_TOKEN=${token}`);
      out('  npx switchyard flows list · npx switchyard alerts list · Ctrl-C to stop (the demo data is deleted).');
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    }
  } finally {
    await sy.stop();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return okPass && okAlert ? 0 : 1;
}
