/**
 * `switchyard demo`: the seed's scenario on one machine with nothing else installed. It starts Switchyard (a fresh
 * SQLite file in a temp folder) and a local SMTP server, creates the flow (catch hook → verify_signature → paths:
 * PASS → email, otherwise → alert), registers a Determined webhook pointing at the catch URL, runs an experiment to
 * COMPLETED, and shows the verified run and the email as received; then sends a tampered request and shows the alert
 * path with its reason. With `exit`, it ends after the scenario: 0 only if both paths behaved as expected, as checked
 * by checkVerifiedPath and checkAlertPath (exported for their tests).
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

/** Who the flow emails, and the name of the alert it raises when a signature fails. */
export const DEMO_RECIPIENT = 'ml-team@example.com';
export const DEMO_ALERT_NAME = 'Determined webhook signature failed';

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
              to: DEMO_RECIPIENT,
              subject: 'Experiment {{steps.verify.payload.event_data.experiment.name}} (#{{steps.verify.payload.event_data.experiment.id}}) is {{steps.verify.payload.event_data.experiment.state}}',
              text: 'Experiment {{steps.verify.payload.event_data.experiment.name}} (#{{steps.verify.payload.event_data.experiment.id}}) in workspace "{{steps.verify.payload.event_data.experiment.workspace}}", project "{{steps.verify.payload.event_data.experiment.project}}", reached {{steps.verify.payload.event_data.experiment.state}} after {{steps.verify.payload.event_data.experiment.duration}} s on pool {{steps.verify.payload.event_data.experiment.resource_pool}}.',
            },
          }],
        },
        {
          name: 'not verified', fallback: true,
          steps: [{ id: 'alarm', type: 'alert', config: { name: DEMO_ALERT_NAME, severity: 'error', message: '{{steps.verify.reason}}' } }],
        },
      ],
    },
  ],
};

/** The experiment as the API shows it once COMPLETED (GET /api/v1/experiments/{id}). */
export interface DemoExperiment { id: number; name: string; workspace: string; project: string; resourcePool: string; duration: number }
/** A run as GET /api/v1/runs/{id} shows it. */
export interface DemoRun { id: number; status: string; error: string | null; steps: { stepId: string; status: string; output: any; error: string | null; durationMs?: number }[] }
/** An email as the SMTP server received it. */
export interface DemoMail { to: string[]; subject: string; body: string }
/** An alert as GET /api/v1/alerts/{id} shows it. */
export interface DemoAlert { id: number; kind: string; title: string; message: string }

/** The email DEMO_FLOW's templates render for a COMPLETED experiment, from the experiment's own facts. */
export function expectedEmail(e: DemoExperiment): { subject: string; text: string } {
  return {
    subject: `Experiment ${e.name} (#${e.id}) is COMPLETED`,
    text: `Experiment ${e.name} (#${e.id}) in workspace "${e.workspace}", project "${e.project}", reached COMPLETED after ${e.duration} s on pool ${e.resourcePool}.`,
  };
}

const stepOf = (run: DemoRun, id: string) => run.steps.find((s) => s.stepId === id);

/**
 * The verified path's problems (none: it behaved as expected): the Determined delivery's run took the verified path
 * and sent one email, which the SMTP server received with exactly the subject and body the templates render for this
 * experiment — its name, id and state COMPLETED, workspace, project, duration and pool. A subject alone could be right
 * while the body misses the experiment's facts.
 */
export function checkVerifiedPath(e: DemoExperiment, run: DemoRun | null, mails: readonly DemoMail[]): string[] {
  if (!run) return ['no run of the flow finished for the Determined delivery'];
  const problems: string[] = [];
  if (run.status !== 'succeeded') problems.push(`run #${run.id} is ${run.status}${run.error ? `: ${run.error}` : ''}`);
  const verify = stepOf(run, 'verify');
  if (verify?.output?.result !== 'PASS') problems.push(`the signature did not verify: ${verify?.output?.reason ?? verify?.error ?? 'no verify step'}`);
  const path = stepOf(run, 'route')?.output?.path;
  if (path !== 'signature verified') problems.push(`run #${run.id} took the path ${JSON.stringify(path ?? null)}, not "signature verified"`);
  const email = stepOf(run, 'email');
  if (email?.status !== 'succeeded') problems.push(`the email step ${email ? `is ${email.status}${email.error ? `: ${email.error}` : ''}` : 'did not run'}`);
  if (mails.length !== 1) problems.push(`the SMTP server received ${mails.length} emails, expected 1`);
  const mail = mails[0];
  if (mail) {
    const want = expectedEmail(e);
    if (mail.to.join(', ') !== DEMO_RECIPIENT) problems.push(`the email went to ${mail.to.join(', ') || 'nobody'}, not ${DEMO_RECIPIENT}`);
    if (mail.subject !== want.subject) problems.push(`the email's subject is ${JSON.stringify(mail.subject)}, expected ${JSON.stringify(want.subject)}`);
    if (mail.body.trim() !== want.text) problems.push(`the email's body is ${JSON.stringify(mail.body.trim())}, expected ${JSON.stringify(want.text)}`);
  }
  return problems;
}

/**
 * The alert path's problems: the tampered request's own run (not any run) failed verification because no key
 * reproduces the signature over the changed body (code wrong_key), took the fallback path, and its alert step raised
 * the alert that is in the alert list with the verification's reason as its message; and no email went out for it.
 */
export function checkAlertPath(run: DemoRun | null, alert: DemoAlert | null, mails: readonly DemoMail[]): string[] {
  if (!run) return ['no run of the flow finished for the tampered request'];
  const problems: string[] = [];
  if (run.status !== 'succeeded') problems.push(`run #${run.id} is ${run.status}${run.error ? `: ${run.error}` : ''}`);
  const out = stepOf(run, 'verify')?.output;
  if (!out) problems.push(`run #${run.id} has no verify output`);
  else if (out.result === 'PASS') problems.push(`the tampered request passed verification in run #${run.id}`);
  else if (out.code !== 'wrong_key' || !String(out.reason).startsWith('no key reproduces this signature over the received body')) {
    problems.push(`verification failed for another reason than the changed body: ${out.code}: ${out.reason}`);
  }
  const path = stepOf(run, 'route')?.output?.path;
  if (path !== 'not verified') problems.push(`run #${run.id} took the path ${JSON.stringify(path ?? null)}, not "not verified"`);
  const alarm = stepOf(run, 'alarm');
  const alertId = alarm?.status === 'succeeded' ? alarm.output?.alertId : undefined;
  if (alertId === undefined) problems.push(`run #${run.id} raised no alert: the alert step ${alarm ? `is ${alarm.status}` : 'did not run'}`);
  else if (!alert || alert.id !== alertId) problems.push(`alert #${alertId}, raised by run #${run.id}, is not in the alert list`);
  else {
    if (alert.kind !== 'flow.alert' || alert.title !== DEMO_ALERT_NAME) problems.push(`alert #${alert.id} is a ${alert.kind} "${alert.title}", not the flow's "${DEMO_ALERT_NAME}"`);
    if (out && alert.message !== out.reason) problems.push(`alert #${alert.id}'s message is ${JSON.stringify(alert.message)}, not the verification's reason`);
  }
  if (mails.length !== 1) problems.push(`the SMTP server received ${mails.length} emails after the tampered request, expected still 1`);
  return problems;
}

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
  // Errors only: the warnings the scenario provokes on purpose (the tampered request's alert) are its narrative,
  // printed in step 5; a raw log line in the middle of it would only be noise.
  const sy = await startSwitchyard(config, { log: pino({ level: 'error' }) });
  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${sy.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const j = await r.json() as any;
    if (!r.ok) throw new Error(`${method} ${path}: ${j?.error?.error ?? r.status}`);
    return j;
  };
  let pass: string[] = ['not run'];
  let alertPath: string[] = ['not run'];
  const runDetail = async (id: number): Promise<DemoRun> => (await api('GET', `/api/v1/runs/${id}`)).run;
  const finished = (r: DemoRun) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'stopped';
  const showRun = (run: DemoRun) => {
    out(`   run #${run.id}: ${run.status}`);
    for (const s of run.steps) {
      const note = s.stepId === 'verify' ? `result: ${s.output?.result}${s.output?.code ? ` (${s.output.code})` : ''}`
        : s.stepId === 'route' ? `path: ${s.output?.path}` : s.stepId === 'alarm' && s.output ? `alert #${s.output.alertId}` : '';
      out(`     ${s.stepId.padEnd(7)} ${s.status.padEnd(9)} ${s.durationMs} ms  ${note}`);
    }
  };
  const verdict = (what: string, problems: string[]) => {
    if (problems.length === 0) out(`   ${what}: ok`);
    else for (const p of problems) out(`   ${what}: FAILED: ${p}`);
  };
  try {
    out(`Switchyard demo — the seed's flow, end to end (server ${sy.url}, SMTP server 127.0.0.1:${smtpPort})`);
    const key = (await api('GET', '/api/v1/keys/signing')).signingKey as string;
    // The secret first: the flow names it ({"secret": "DET_WEBHOOKS_SIGNING_KEY"}), so its definition holds no key.
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
    // In a workspace and project of its own: the payload's workspace and project are the names the experiment was
    // created with (empty without them), and the email shows both.
    await api('POST', '/api/v1/workspaces', { name: 'vision' });
    const created = (await api('POST', '/api/v1/experiments', {
      name: 'cifar10_pytorch_const', workspace: 'vision', project: 'cifar10', resourcePool: 'default', slotsPerTrial: 2,
    })).experiment;
    await api('POST', `/api/v1/experiments/${created.id}/state`, { state: 'COMPLETED' });
    const exp = (await api('GET', `/api/v1/experiments/${created.id}`)).experiment as DemoExperiment;
    out(`4. experiment #${exp.id} "${exp.name}" (workspace ${exp.workspace}, project ${exp.project}) → COMPLETED`);
    const listed = await until(async () => {
      const runs = (await api('GET', `/api/v1/flows/${flow.id}/runs`)).runs as DemoRun[];
      return runs.length > 0 && runs.every(finished) && runs;
    }, 20_000);
    const run = listed ? await runDetail(listed[listed.length - 1]!.id) : null;
    if (run) showRun(run);
    if (listed && listed.length > 1) out(`   (${listed.length} runs: the delivery was sent more than once)`);
    await until(async () => mails.length > 0, 10_000);
    for (const mail of mails) {
      out(`   email received by the SMTP server, to ${mail.to.join(', ')}:`);
      out(`     Subject: ${mail.subject}`);
      for (const line of mail.body.trim().split(/\r?\n/)) out(`     | ${line}`);
    }
    pass = checkVerifiedPath(exp, run, mails);
    if (listed && listed.length > 1) pass.push(`the flow has ${listed.length} runs for one delivery, expected 1`);
    verdict('verified path', pass);

    const capture = (await api('GET', `/api/v1/flows/${flow.id}/captures`)).captures[0];
    const headers: Record<string, string> = {};
    for (const h of capture.headers) if (/^(x-determined-ai-signature(-timestamp)?|content-type)$/i.test(h.name)) headers[h.name] = h.value;
    const tampered = String(capture.body).replace('"COMPLETED"', '"ERROR"');
    const caught = await (await fetch(flow.catchUrl, { method: 'POST', headers, body: tampered })).json() as { runId?: number };
    out(`5. sent the same request with the state changed to ERROR (a tampered body, the original signature): run #${caught.runId}`);
    // The tampered request's own run, by the id the catch hook answered: not just any alert of the flow.
    const bad = typeof caught.runId === 'number'
      ? await until(async () => { const r = await runDetail(caught.runId!); return finished(r) && r; }, 20_000) : null;
    if (bad) showRun(bad);
    const alertId = bad ? stepOf(bad, 'alarm')?.output?.alertId : undefined;
    const alert = typeof alertId === 'number' ? (await api('GET', `/api/v1/alerts/${alertId}`)).alert as DemoAlert : null;
    if (alert) out(`   alert #${alert.id} "${alert.title}": ${alert.message}`);
    alertPath = checkAlertPath(bad, alert, mails);
    verdict('alert path', alertPath);
    out();
    out(pass.length === 0 && alertPath.length === 0 ? 'Both paths behaved as expected.'
      : `Unexpected: verified path ${pass.length === 0 ? 'ok' : 'FAILED'}, alert path ${alertPath.length === 0 ? 'ok' : 'FAILED'}.`);
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
  return pass.length === 0 && alertPath.length === 0 ? 0 : 1;
}
