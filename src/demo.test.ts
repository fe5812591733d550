/**
 * The demo's own verdicts (what `switchyard demo --exit` exits on): the verified path needs the email's exact subject
 * and body, not the subject alone; the alert path needs the alert raised by the tampered request's run, with the
 * verification's reason, not just any flow alert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAlertPath, checkVerifiedPath, expectedEmail, type DemoAlert, type DemoExperiment, type DemoMail, type DemoRun } from './demo.js';

const EXP: DemoExperiment = { id: 7, name: 'cifar10_pytorch_const', workspace: 'vision', project: 'cifar10', resourcePool: 'default', duration: 3 };
const SUBJECT = 'Experiment cifar10_pytorch_const (#7) is COMPLETED';
const BODY = 'Experiment cifar10_pytorch_const (#7) in workspace "vision", project "cifar10", reached COMPLETED after 3 s on pool default.';
const REASON = 'no key reproduces this signature over the received body: either the signing key differs ' +
  '(check webhook_signing_key) or the body was changed in transit';

const step = (stepId: string, output: unknown, status = 'succeeded') => ({ stepId, status, output, error: null });
const passRun = (): DemoRun => ({
  id: 1, status: 'succeeded', error: null,
  steps: [step('verify', { result: 'PASS' }), step('route', { path: 'signature verified' }), step('email', { accepted: ['ml-team@example.com'] })],
});
const mail = (over: Partial<DemoMail> = {}): DemoMail => ({ to: ['ml-team@example.com'], subject: SUBJECT, body: `${BODY}\r\n`, ...over });
const alertRun = (verify: Record<string, unknown> = { result: 'Signature cannot be verified, request might not be legit', code: 'wrong_key', reason: REASON }): DemoRun => ({
  id: 2, status: 'succeeded', error: null,
  steps: [step('verify', verify), step('route', { path: 'not verified' }), step('alarm', { alertId: 5, name: 'Determined webhook signature failed' })],
});
const alert = (over: Partial<DemoAlert> = {}): DemoAlert => ({ id: 5, kind: 'flow.alert', title: 'Determined webhook signature failed', message: REASON, ...over });

describe('demo verdicts', () => {
  it('the expected email carries the experiment\'s name, id, state, workspace, project, duration and pool', () => {
    assert.deepEqual(expectedEmail(EXP), { subject: SUBJECT, text: BODY });
  });

  it('verified path: ok only with one email whose subject and body are exactly what the templates render', () => {
    assert.deepEqual(checkVerifiedPath(EXP, passRun(), [mail()]), []);
    // The right subject with a body that lost the experiment's facts is a failure (the old check looked at the subject).
    const wrongBody = BODY.replace('(#7)', '(#)').replace('COMPLETED', '');
    assert.deepEqual(checkVerifiedPath(EXP, passRun(), [mail({ body: wrongBody })]), [
      `the email's body is ${JSON.stringify(wrongBody)}, expected ${JSON.stringify(BODY)}`,
    ]);
    assert.deepEqual(checkVerifiedPath(EXP, passRun(), [mail({ subject: 'Experiment cifar10_pytorch_const (#8) is COMPLETED' })]), [
      `the email's subject is "Experiment cifar10_pytorch_const (#8) is COMPLETED", expected ${JSON.stringify(SUBJECT)}`,
    ]);
    assert.deepEqual(checkVerifiedPath(EXP, passRun(), [mail({ to: ['someone@example.com'] })]), ['the email went to someone@example.com, not ml-team@example.com']);
    assert.deepEqual(checkVerifiedPath(EXP, passRun(), []), ['the SMTP server received 0 emails, expected 1']);
    assert.deepEqual(checkVerifiedPath(EXP, null, [mail()]), ['no run of the flow finished for the Determined delivery']);
    const failed: DemoRun = { ...passRun(), status: 'failed', error: 'step email failed: 550 no such user', steps: [passRun().steps[0]!, passRun().steps[1]!, { ...step('email', null, 'failed'), error: '550 no such user' }] };
    assert.deepEqual(checkVerifiedPath(EXP, failed, []), [
      'run #1 is failed: step email failed: 550 no such user', 'the email step is failed: 550 no such user', 'the SMTP server received 0 emails, expected 1',
    ]);
  });

  it('alert path: ok only with the alert raised by the tampered request\'s own run, carrying why verification failed', () => {
    assert.deepEqual(checkAlertPath(alertRun(), alert(), [mail()]), []);
    // Another flow alert (not the one this run raised) does not count.
    assert.deepEqual(checkAlertPath(alertRun(), alert({ id: 4 }), [mail()]), ['alert #5, raised by run #2, is not in the alert list']);
    assert.deepEqual(checkAlertPath(alertRun(), null, [mail()]), ['alert #5, raised by run #2, is not in the alert list']);
    assert.deepEqual(checkAlertPath(alertRun(), alert({ message: 'webhook signature failed' }), [mail()]), [
      'alert #5\'s message is "webhook signature failed", not the verification\'s reason',
    ]);
    assert.deepEqual(checkAlertPath(alertRun(), alert({ kind: 'run.failed', title: 'Flow "x" has failed runs' }), [mail()]), [
      'alert #5 is a run.failed "Flow "x" has failed runs", not the flow\'s "Determined webhook signature failed"',
    ]);
    // Failing for another reason than the changed body (a missing header, a stale timestamp) is not the expected path.
    const stale = { result: 'Signature cannot be verified, request might not be legit', code: 'timestamp_too_old', reason: 'the timestamp is 2 h old' };
    assert.deepEqual(checkAlertPath(alertRun(stale), alert({ message: stale.reason }), [mail()]), [
      'verification failed for another reason than the changed body: timestamp_too_old: the timestamp is 2 h old',
    ]);
    assert.deepEqual(checkAlertPath(alertRun({ result: 'PASS' }), alert(), [mail()]), [
      'the tampered request passed verification in run #2', 'alert #5\'s message is "' + REASON + '", not the verification\'s reason',
    ]);
    assert.deepEqual(checkAlertPath(alertRun(), alert(), [mail(), mail()]), ['the SMTP server received 2 emails after the tampered request, expected still 1']);
    const noAlarm: DemoRun = { ...alertRun(), steps: alertRun().steps.slice(0, 2) };
    assert.deepEqual(checkAlertPath(noAlarm, null, [mail()]), ['run #2 raised no alert: the alert step did not run']);
    assert.deepEqual(checkAlertPath(null, alert(), [mail()]), ['no run of the flow finished for the tampered request']);
  });
});
