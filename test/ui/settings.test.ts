/** Settings (secrets are write-only, tokens shown once) and the Alerts page (an alert raised by a flow, resolved). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, chromiumPath, settled, tap } from './helpers.js';
import { startSmtpSink } from '../helpers/smtp.js';


// Without Chromium, fail at once, before any sink or server is started.
before(() => { chromiumPath(); });
test('UI: Settings secrets tab sets, lists (never shows) and deletes a secret; a token is shown once; SMTP and channels', { timeout: 120_000 }, async () => {
  const smtp = await startSmtpSink();
  const ui = await startUi();
  const { page } = ui;
  try {
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Secrets' }).waitFor();
    await page.getByText('No secrets yet.').waitFor();
    await page.getByLabel('Secret name').fill('DET_KEY');
    await page.getByLabel('Secret value').fill('s3cret-value-42');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByText('Secret DET_KEY saved.').waitFor();
    await page.getByRole('row', { name: /DET_KEY/ }).waitFor();
    assert.ok(!(await page.content()).includes('s3cret-value-42'), 'the value is not on the page');
    const listed = (await ui.server.api('GET', '/api/v1/secrets')).body.secrets;
    assert.deepEqual(listed.map((s: { name: string }) => s.name), ['DET_KEY']);
    await ui.screenshot('settings-secrets');

    await page.getByRole('button', { name: 'Delete secret DET_KEY' }).click();
    await tap(page.getByRole('button', { name: 'Delete', exact: true }));
    await page.getByText('Secret DET_KEY deleted.').waitFor();
    await page.getByText('No secrets yet.').waitFor();
    assert.deepEqual((await ui.server.api('GET', '/api/v1/secrets')).body.secrets, []);

    // A bad name is refused in words.
    await page.getByLabel('Secret name').fill('bad name!');
    await page.getByLabel('Secret value').fill('x');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByRole('alert').filter({ hasText: /name/i }).waitFor();

    // API tokens: made here, shown once, works against the API, revoked.
    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New token').inputValue();
    assert.match(secret, /^sy_/);
    assert.equal((await ui.server.api('GET', '/api/v1/flows', undefined, { token: secret })).status, 200);
    await ui.screenshot('settings-token-created');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('row', { name: /ci/ }).getByRole('button', { name: 'Revoke' }).click();
    await tap(page.getByRole('button', { name: 'Revoke', exact: true }).last());
    await page.getByText('Token "ci" revoked.').waitFor();
    assert.equal((await ui.server.api('GET', '/api/v1/flows', undefined, { token: secret })).status, 401);

    // Signing key (admin), SMTP and alert channels: either their form or a calm note that the server lacks the API.
    await page.getByRole('tab', { name: 'Signing key' }).click();
    await page.getByRole('button', { name: 'Show signing key' }).click();
    assert.equal(await page.getByRole('textbox', { name: 'Signing key' }).inputValue(), 'testsigningkey');
    await page.getByRole('tab', { name: 'SMTP' }).click();
    const saveSmtp = page.getByRole('button', { name: 'Save SMTP settings' });
    await page.getByText('This server has no SMTP settings API yet').or(saveSmtp).waitFor();
    if (await saveSmtp.isVisible()) {
      // The server has the API: save a real SMTP server's address and send a test email through it.
      await page.getByLabel('SMTP host').fill('127.0.0.1');
      await page.getByLabel('SMTP port').fill(String(smtp.port));
      await page.getByLabel('SMTP sender').fill('switchyard@example.com');
      await saveSmtp.click();
      await page.getByText('SMTP settings saved.').waitFor();
      await page.getByLabel('Test email address').fill('ops@example.com');
      await page.getByRole('button', { name: 'Send test' }).click();
      await page.getByText('Test email sent to ops@example.com.').waitFor();
      const [mail] = await smtp.waitFor(1);
      assert.deepEqual(mail!.to, ['ops@example.com']);
      assert.match(mail!.subject, /SMTP test/);
    }
    await ui.screenshot('settings-smtp');
    await page.getByRole('tab', { name: 'Alert channels' }).click();
    const newChannel = page.getByRole('button', { name: 'New channel' });
    await page.getByText('This server has no alert channels API yet').or(newChannel).waitFor();
    if (await newChannel.isVisible()) {
      // An email channel, made in the modal and tested: the test alert reaches the SMTP server.
      await newChannel.click();
      // Everything inside the modal, and the save waited for by its own answer (a failure shows its status and body).
      const dialog = page.getByRole('dialog', { name: 'New alert channel' });
      await settled(dialog);
      await dialog.getByLabel('Channel name').fill('ops mail');
      await dialog.getByLabel('Channel recipients').fill('oncall@example.com');
      const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/alert-channels');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      const res = await created;
      assert.ok(res.ok(), `${res.status()} ${await res.text()}`);
      await dialog.waitFor({ state: 'hidden' });
      const row = page.getByRole('row', { name: /ops mail/ });
      await row.waitFor();
      await row.getByRole('button', { name: 'Test' }).click();
      await page.getByText('Test alert sent to "ops mail".').waitFor();
      const mails = await smtp.waitFor(2);
      assert.deepEqual(mails[1]!.to, ['oncall@example.com']);
    }
    await ui.screenshot('settings-channels');
    assert.deepEqual(ui.pageErrors, []);
  } catch (e) {
    await ui.screenshot('settings-test-failure').catch(() => undefined);
    throw e;
  } finally {
    await ui.close();
    await smtp.close();
  }
});

test('UI: Alerts page lists an alert raised by a flow and resolves it', { timeout: 120_000 }, async () => {
  const ui = await startUi();
  const { page } = ui;
  try {
    const f = await ui.server.api('POST', '/api/v1/flows', {
      name: 'alarm', steps: [{ id: 'alarm', type: 'alert', config: { name: 'disk full', severity: 'error', message: 'volume {{capture.json.volume}} is full' } }],
    });
    assert.equal(f.status, 200, f.text);
    await page.getByRole('menuitem', { name: 'Alerts' }).click();
    await page.getByText('No open alerts.').waitFor();
    // Raised while the page is open: it appears without a reload.
    const r = await fetch(f.body.flow.catchUrl, { method: 'POST', body: JSON.stringify({ volume: '/data' }), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200);
    const row = page.getByRole('row', { name: /volume \/data is full/ });
    await row.waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), /open/);
    assert.match(await row.innerText(), /flow\.alert/);
    await ui.screenshot('alerts');
    await row.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText(/resolved\.$/).first().waitFor();
    await page.getByText('No open alerts.').waitFor();
    await page.locator('.ant-radio-button-wrapper', { hasText: 'Resolved' }).click();
    await page.getByRole('row', { name: /volume \/data is full/ }).getByText('resolved').first().waitFor();
    const alerts = (await ui.server.api('GET', '/api/v1/alerts')).body.alerts;
    assert.equal(alerts.length, 1);
    assert.notEqual(alerts[0].acknowledgedAt, null);
    await ui.screenshot('alerts-resolved');
    assert.deepEqual(ui.pageErrors, []);
  } finally {
    await ui.close();
  }
});
