/**
 * The receiver's UI end to end, in a real Chromium against a real server and a real SMTP server: create a flow, copy
 * its catch URL, send a Determined-signed request to it, see it in Test Trigger, add a verify step and an email step
 * in the editor (a template picked from the sample), save (first refused, with the problem at its field), run it on
 * the capture, see the email arrive and the run with its steps.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUi, chromiumPath, tap } from './helpers.js';
import { startSmtpSink } from '../helpers/smtp.js';
import { repoRoot } from '../helpers/vectors.js';
import { signDetermined } from '../../src/core/signing/determined.js';

type UiPage = Awaited<ReturnType<typeof startUi>>['page'];

/**
 * Clicks "Save steps" and waits for that save's own answer (the PUT of the flow) and its toast. Waiting for the text
 * "Flow saved." alone is not enough after an earlier save: its toast may still be on screen.
 */
async function saveSteps(page: UiPage): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && /\/api\/v1\/flows\/\d+$/.test(new URL(r.url()).pathname));
  await page.getByRole('button', { name: 'Save steps' }).click();
  const res = await answered;
  assert.equal(res.status(), 200, await res.text());
  await page.getByText('Flow saved.').first().waitFor();
}

/** The seed's state-change payload from the shared vectors (event_data.experiment: id 41, cifar10_pytorch_const). */
function vectorBody(): string {
  const file = join(repoRoot(), '..', 'shared', 'spec', 'vectors.json');
  let vectors: { determined: { body: string; key: string }[] };
  try { vectors = JSON.parse(readFileSync(file, 'utf8')); } catch { vectors = JSON.parse(readFileSync('/work/shared/spec/vectors.json', 'utf8')); }
  const v = vectors.determined.find((x) => x.body.includes('event_data'));
  assert.ok(v, 'a vector with event_data');
  return v.body;
}


// Without Chromium, fail at once, before any sink or server is started.
before(() => { chromiumPath(); });
test('UI: create a flow, catch a signed request, build verify + email steps, run it, get the email and the run', { timeout: 240_000 }, async () => {
  const smtp = await startSmtpSink();
  const ui = await startUi({ env: { SWITCHYARD_SMTP_HOST: '127.0.0.1', SWITCHYARD_SMTP_PORT: String(smtp.port) } });
  const { page } = ui;
  try {
    assert.equal((await ui.server.api('PUT', '/api/v1/secrets/DET_KEY', { value: 'testsigningkey' })).status, 200);
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.server.url });

    // Flows list → New Flow → the editor.
    await page.getByRole('menuitem', { name: 'Flows' }).click();
    await page.getByText('No flows yet').waitFor();
    await page.getByRole('button', { name: 'New Flow' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('determined-alerts');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/flows\/\d+/);
    await page.getByRole('heading', { name: 'determined-alerts', level: 3 }).waitFor();
    const flowId = Number(/\/flows\/(\d+)/.exec(page.url())![1]);

    // The catch URL, shown and copied.
    const shown = (await page.getByTestId('catch-url').innerText()).trim();
    assert.match(shown, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/catch\/[A-Za-z0-9_-]{32}$/);
    await page.getByRole('button', { name: 'Copy catch URL' }).click();
    await page.getByText('Catch URL copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), shown);

    // A real request signed the Determined way.
    const body = vectorBody();
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(shown, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/json', 'X-Determined-AI-Signature-Timestamp': String(ts), 'X-Determined-AI-Signature': signDetermined('testsigningkey', ts, body) },
    });
    assert.equal(res.status, 200);
    const { captureId } = await res.json() as { captureId: number };

    // Test Trigger shows it live (no reload): method, raw body, headers with their original names.
    await page.getByRole('tab', { name: 'Test Trigger' }).click();
    const row = page.locator('tr', { hasText: 'POST' }).first();
    await row.waitFor();
    await row.click();
    await page.getByLabel('Capture body').filter({ hasText: 'cifar10_pytorch_const' }).waitFor();
    assert.equal(await page.getByLabel('Capture body').innerText(), body);
    await page.getByRole('tab', { name: /^Headers/ }).click();
    await page.getByText('X-Determined-AI-Signature-Timestamp', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Use as sample' }).click();
    await page.getByText(`Capture #${captureId} is the flow's sample.`).waitFor();
    await ui.screenshot('flow-test-trigger');

    // Steps: verify_signature (Determined preset) and send_email.
    await page.getByRole('tab', { name: 'Steps' }).click();
    await page.getByRole('button', { name: 'Add step' }).click();
    await tap(page.getByRole('menuitem', { name: 'Verify signature' }));
    const verify = page.locator('.sy-step[data-step-id="verify"]');
    await verify.waitFor();

    // Saving without a key is refused; the server's problem shows at the keys field.
    await page.getByRole('button', { name: 'Save steps' }).click();
    await page.getByText(/Not saved: 1 problem/).waitFor();
    const keysItem = verify.locator('.ant-form-item-has-error', { hasText: 'Keys' });
    await keysItem.waitFor();
    assert.match(await keysItem.innerText(), /Too small: expected array to have >=1 items|is required/);
    await ui.screenshot('flow-steps-invalid');

    await verify.getByRole('combobox', { name: 'Signing key secrets' }).click();
    await tap(page.locator('.ant-select-item-option', { hasText: 'DET_KEY' }));
    await page.keyboard.press('Escape');

    // Test step: the server's test-step API when it has one; otherwise the page says it has none (calmly).
    await verify.getByRole('button', { name: 'Test step' }).click();
    const tested = verify.getByLabel('Test output');
    const noApi = verify.getByText('This server has no test-step API yet');
    await tested.or(noApi).waitFor();
    if (await tested.isVisible()) assert.match(await tested.innerText(), /"result": "PASS"/);

    await page.getByRole('button', { name: 'Add step' }).last().click();
    await tap(page.getByRole('menuitem', { name: 'Send email' }));
    const email = page.locator('.sy-step[data-step-id="email"]');
    await email.waitFor();
    await email.getByLabel('To', { exact: true }).fill('ml-team@example.com');
    await email.getByLabel('Subject', { exact: true }).fill('Experiment {{steps.verify.payload.event_data.experiment.name}} is {{steps.verify.payload.event_data.experiment.state}}');
    const text = email.getByLabel('Text', { exact: true });
    await text.fill('Experiment #');
    // The field picker inserts a template from the sample's JSON at the cursor.
    await email.locator('div:has(> textarea[aria-label="Text"])').getByRole('button', { name: 'Insert field' }).click();
    await page.getByRole('combobox', { name: 'Field' }).fill('event_data.experiment.id');
    await tap(page.locator('.ant-select-item-option', { hasText: 'capture.json.event_data.experiment.id' }).first());
    assert.equal(await text.inputValue(), 'Experiment #{{capture.json.event_data.experiment.id}}');
    await text.press('End');
    await text.pressSequentially(' finished.');

    await saveSteps(page);
    const saved = (await ui.server.api('GET', `/api/v1/flows/${flowId}`)).body.flow.definition.steps;
    assert.deepEqual(saved.map((s: { id: string; type: string }) => [s.id, s.type]), [['verify', 'verify_signature'], ['email', 'send_email']]);
    assert.deepEqual(saved[0].config, { preset: 'determined', keys: [{ secret: 'DET_KEY' }] });
    await ui.screenshot('flow-steps');

    // Run the flow on the sample → the run page, live until it succeeds.
    await page.getByRole('tab', { name: 'Test Trigger' }).click();
    await page.getByRole('button', { name: 'Run flow on it' }).click();
    await page.waitForURL(/\/runs\/\d+/);
    const runId = Number(/\/runs\/(\d+)/.exec(page.url())![1]);
    await page.locator('.ant-descriptions').getByText('succeeded').waitFor({ timeout: 30_000 });
    await page.locator('.sy-run-step[data-step-id="email"]').getByText('succeeded').waitFor();
    assert.match(await page.getByLabel('Output of verify').innerText(), /"result": "PASS"/);
    assert.ok(!(await page.content()).includes('testsigningkey'), 'the key never shows in the run');
    await ui.screenshot('run');

    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail!.to, ['ml-team@example.com']);
    assert.equal(mail!.subject, 'Experiment cifar10_pytorch_const is COMPLETED');
    assert.match(mail!.body, /Experiment #41 finished\./);

    // Replay from the email step: the verify step keeps its recorded output, the email goes again.
    await page.getByRole('button', { name: 'Replay from email' }).click();
    await page.waitForURL((u) => /\/runs\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/runs/${runId}`));
    await page.locator('.ant-descriptions').getByText('succeeded').waitFor({ timeout: 30_000 });
    await page.locator('.ant-descriptions').getByRole('link', { name: `#${runId}` }).waitFor();
    const mails = await smtp.waitFor(2);
    assert.equal(mails[1]!.subject, 'Experiment cifar10_pytorch_const is COMPLETED');

    // The runs in the flow's history, with a status filter.
    await page.getByRole('link', { name: 'determined-alerts' }).click();
    await page.getByRole('tab', { name: 'Runs' }).waitFor();
    await page.getByRole('tab', { name: 'Runs' }).click();
    // Three runs: the capture's own (no steps yet), the run on the sample, and its replay (linked to it).
    await page.getByRole('row', { name: new RegExp(`of #${runId}`) }).waitFor();
    assert.equal(await page.locator('.ant-table-tbody tr.ant-table-row').count(), 3);
    await page.getByRole('combobox', { name: 'Run status filter' }).click();
    await tap(page.locator('.ant-select-item-option', { hasText: 'failed' }));
    await page.getByText('No failed runs.').waitFor();
    await page.keyboard.press('Escape');
    await ui.screenshot('flow-runs');

    // Hook settings and the list with the last run.
    await page.getByRole('tab', { name: 'Hook settings' }).click();
    await page.getByRole('button', { name: 'Rotate key' }).waitFor();
    await ui.screenshot('flow-hook-settings');
    await page.getByRole('menuitem', { name: 'Flows' }).click();
    await page.getByRole('row', { name: /determined-alerts/ }).getByText('succeeded').waitFor();
    await ui.screenshot('flows');
    assert.deepEqual(ui.pageErrors, []);
  } catch (e) {
    await ui.screenshot('flows-test-failure').catch(() => undefined);
    throw e;
  } finally {
    await ui.close();
    await smtp.close();
  }
});

test('UI: the editor shows every step type of a flow, saves an edit without changing anything else; hook settings; export and import', { timeout: 180_000 }, async () => {
  const ui = await startUi();
  const { page } = ui;
  const definition = {
    name: 'every-step', description: 'all step types', enabled: true,
    steps: [
      { id: 'verify', type: 'verify_signature', config: { preset: 'hmac', algorithm: 'sha256', encoding: 'hex', signatureHeader: 'X-Hub-Signature-256', prefix: 'sha256=', keys: [{ secret: 'GH_KEY' }] } },
      { id: 'legit', type: 'filter', when: { all: [{ left: 'steps.verify.result', op: 'equals', right: 'PASS' }, { left: '{{capture.json.count}}', op: 'gt', right: 3 }] } },
      { id: 'calc', type: 'code', config: { language: 'python', code: 'output = {"n": int(input_data["n"]) * 2}', inputData: { n: '{{capture.json.count}}', key: { secret: 'DET_KEY' } } } },
      {
        id: 'route', type: 'paths', paths: [
          { name: 'big', when: { left: 'steps.calc.n', op: 'gte', right: 10 }, steps: [
            { id: 'notify', type: 'post_slack', config: { webhookUrl: { secret: 'SLACK_URL' }, text: 'n = {{steps.calc.n}}' } },
            { id: 'forward', type: 'http_request', config: { method: 'POST', url: 'https://example.com/hook', headers: { 'x-kind': 'big' }, body: '{{capture.body}}' } },
          ] },
          { name: 'other', fallback: true, steps: [{ id: 'alarm', type: 'alert', config: { name: 'small', severity: 'warning', message: 'n is {{steps.calc.n}}' } }] },
        ],
      },
    ],
  };
  try {
    const created = await ui.server.api('POST', '/api/v1/flows', definition);
    assert.equal(created.status, 200, created.text);
    const id = created.body.flow.id as number;
    assert.equal((await ui.server.api('PUT', '/api/v1/secrets/COUNT_SECRET', { value: '7' })).status, 200);
    await page.goto(ui.url(`/flows/${id}`));
    for (const stepId of ['verify', 'legit', 'calc', 'route', 'notify', 'forward', 'alarm']) {
      await page.locator(`.sy-step[data-step-id="${stepId}"]`).waitFor();
    }
    assert.equal(await page.getByRole('button', { name: 'Save steps' }).isDisabled(), true, 'nothing to save before an edit');
    await ui.screenshot('flow-steps-every-type');

    // One edit: the path's threshold. Everything else comes back as it was.
    const route = page.locator('.sy-step[data-step-id="route"]');
    await route.getByLabel('Condition value').first().fill('20');
    await saveSteps(page);
    const saved = (await ui.server.api('GET', `/api/v1/flows/${id}`)).body.flow.definition;
    const expected = structuredClone(definition) as any;
    expected.steps[3].paths[0].when.right = '20';
    assert.deepEqual(saved, expected);

    // A code step's input can come from a secret: shown as one, and switched to one from a template.
    const calc = page.locator('.sy-step[data-step-id="calc"]');
    const select = (label: string) => calc.locator('.ant-select').filter({ has: page.getByRole('combobox', { name: label }) });
    const shown = (label: string) => select(label).locator('.ant-select-selection-item').innerText();
    assert.equal(await shown('Source of key'), 'Secret');
    assert.equal(await shown('Secret for key'), 'DET_KEY');
    assert.equal(await shown('Source of n'), 'Template');
    await select('Source of n').click();
    await tap(page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="Secret"]'));
    await select('Secret for n').click();
    await tap(page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="COUNT_SECRET"]'));
    await saveSteps(page);
    expected.steps[2].config.inputData = { n: { secret: 'COUNT_SECRET' }, key: { secret: 'DET_KEY' } };
    assert.deepEqual((await ui.server.api('GET', `/api/v1/flows/${id}`)).body.flow.definition, expected);

    // Hook settings: deduplication on, saved into the definition.
    await page.getByRole('tab', { name: 'Hook settings' }).click();
    await page.getByRole('checkbox', { name: 'Deduplication' }).check();
    await page.getByLabel('Dedup key').fill('{{capture.json.event_id}}');
    await page.getByRole('button', { name: 'Save hook settings' }).click();
    await page.getByText('Hook settings saved.').waitFor();
    assert.deepEqual((await ui.server.api('GET', `/api/v1/flows/${id}`)).body.flow.definition.dedup, { key: '{{capture.json.event_id}}', windowSeconds: 3600 });

    // A binary request shows as a hex dump in Test Trigger.
    const bin = await fetch(created.body.flow.catchUrl, { method: 'POST', body: new Uint8Array([0x00, 0xff, 0x41, 0x0a]), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(bin.status, 200);
    await page.getByRole('tab', { name: 'Test Trigger' }).click();
    await page.getByRole('tab', { name: 'Body (binary)' }).waitFor();
    assert.match(await page.getByLabel('Capture body').innerText(), /^00000000 {2}00 ff 41 0a {2}.*\.\.A\.$/);
    await ui.screenshot('flow-test-trigger-binary');

    // Export gives the definition as a file; importing it again under the same name is refused in words.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    assert.equal(download.suggestedFilename(), 'every-step.flow.json');
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(exported.name, 'every-step');
    assert.deepEqual(exported.steps, expected.steps);
    await page.getByRole('menuitem', { name: 'Flows' }).click();
    await page.getByLabel('Flow file').setInputFiles(file);
    await page.getByRole('alert').filter({ hasText: 'a flow named "every-step" already exists' }).waitFor();
    await page.getByLabel('Flow file').setInputFiles({ name: 'copy.flow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...exported, name: 'every-step copy' })) });
    await page.getByText('Imported flow "every-step copy".').waitFor();
    await page.getByRole('link', { name: 'every-step copy' }).waitFor();
    assert.deepEqual(ui.pageErrors, []);
  } catch (e) {
    await ui.screenshot('flows-editor-test-failure').catch(() => undefined);
    throw e;
  } finally {
    await ui.close();
  }
});
