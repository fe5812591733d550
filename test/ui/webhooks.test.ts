/**
 * Determined's Webhooks page and the webhook detail view in a real Chromium, against a real server and a real HTTP
 * sink: create a webhook through the modal, test it from the row menu, fire it from the Experiments page, see the
 * delivery and its attempt, edit and delete it. Screenshots of each step go to artifacts/screenshots/.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink, until } from '../helpers/harness.js';
import { startUi, chromiumPath, settled, tap } from './helpers.js';


// Without Chromium, fail at once, before any sink or server is started.
before(() => { chromiumPath(); });
test('UI: webhooks page, New Webhook modal, row menu, experiment → delivery in the detail view', { timeout: 180_000 }, async () => {
  const sink = await startSink();
  const ui = await startUi();
  const { page, server } = ui;
  try {
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });

    // Empty state, as Determined words it.
    await page.getByText('No Webhooks Registered', { exact: true }).waitFor();
    await page.getByText('Call external services when experiments complete or throw errors.', { exact: true }).waitFor();
    await ui.screenshot('webhooks-empty');

    // The modal refuses an empty form with Determined's messages and disables its submit button.
    await page.getByRole('button', { name: 'New Webhook' }).click();
    const modal = page.getByRole('dialog', { name: 'New Webhook' });
    await settled(modal);
    const submit = modal.getByRole('button', { name: 'Create Webhook' });
    await submit.click();
    await modal.getByText('Name is required.', { exact: true }).waitFor();
    await modal.getByText('URL is required.', { exact: true }).waitFor();
    await modal.getByText('At least one trigger event is required', { exact: true }).waitFor();
    assert.equal(await submit.isDisabled(), true);
    await modal.getByLabel('URL').fill('not a url');
    await modal.getByText('URL must be valid.', { exact: true }).waitFor();
    await ui.screenshot('webhook-new-validation');

    // A TASKLOG trigger asks for a regex; CUSTOM forces "Specific experiment(s)".
    await modal.getByLabel('Name').fill('ui-hook');
    await modal.getByLabel('URL').fill(`${sink.url}/hook`);
    await modal.getByLabel('Trigger', { exact: true }).click();
    await tap(page.locator('.ant-select-item-option[title="COMPLETED"]'));
    await tap(page.locator('.ant-select-item-option[title="TASKLOG"]'));
    await modal.getByText('Regex', { exact: true }).waitFor();
    await tap(page.locator('.ant-select-item-option[title="TASKLOG"]')); // deselect again
    await modal.locator('.ant-modal-title').click(); // closes the dropdown
    assert.equal(await modal.getByText('Regex', { exact: true }).count(), 0);
    assert.equal(await submit.isDisabled(), false);
    await ui.screenshot('webhook-new-filled');
    await submit.click();
    await page.getByText('Webhook created.', { exact: true }).waitFor();
    await modal.waitFor({ state: 'hidden' });

    const listed = await server.api('GET', '/api/v1/webhooks');
    assert.equal(listed.body.webhooks.length, 1);
    const hook = listed.body.webhooks[0];
    assert.equal(hook.name, 'ui-hook');
    assert.equal(hook.url, `${sink.url}/hook`);
    assert.equal(hook.workspaceId, 0);
    assert.equal(hook.mode, 'WEBHOOK_MODE_WORKSPACE');
    assert.deepEqual(hook.triggers.map((t: any) => [t.triggerType, t.condition]), [['TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', { state: 'COMPLETED' }]]);

    // The row shows Determined's columns.
    const row = page.getByRole('row').filter({ hasText: 'ui-hook' });
    for (const text of ['Global', `${sink.url}/hook`, 'COMPLETED', 'Default']) await row.getByText(text, { exact: true }).waitFor();
    await ui.screenshot('webhooks-list');

    // Row menu: Copy Webhook Name.
    const menu = page.getByRole('button', { name: 'Actions for webhook ui-hook' });
    await menu.click();
    await tap(page.getByRole('menuitem', { name: 'Copy Webhook Name' }));
    await page.getByText('Webhook Name Copied', { exact: true }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), 'ui-hook');

    // Row menu: Test Webhook reaches the sink, signed.
    await menu.click();
    await page.getByRole('menuitem', { name: 'Delete Webhook' }).waitFor();
    await ui.screenshot('webhook-row-menu');
    await tap(page.getByRole('menuitem', { name: 'Test Webhook' }));
    const [tested] = await sink.waitFor(1, 10_000);
    assert.equal(tested!.path, '/hook');
    assert.equal(JSON.parse(tested!.text).event_type, 'EXPERIMENT_STATE_CHANGE');
    assert.ok(tested!.headers['x-determined-ai-signature']);

    // A failing test is shown in words.
    sink.respond(500);
    await menu.click();
    await tap(page.getByRole('menuitem', { name: 'Test Webhook' }));
    await page.getByText('Webhook Request Failed', { exact: true }).waitFor();
    await page.getByText(/received error from webhook server for event .* error: 500/).waitFor();
    await ui.screenshot('webhook-test-failed');
    // Closed, as a user would: a notification stays while the pointer is on it, and this one sits bottom right, over
    // the rows' buttons that the test clicks later.
    await page.locator('.ant-notification-notice').filter({ hasText: 'Webhook Request Failed' }).locator('.ant-notification-notice-close').click();
    await page.getByText('Webhook Request Failed', { exact: true }).waitFor({ state: 'hidden' });
    sink.respond(200);

    // A taken name: the server's message appears, the modal stays open.
    await page.getByRole('button', { name: 'New Webhook' }).click();
    await modal.getByLabel('Name').fill('ui-hook');
    await modal.getByLabel('URL').fill(`${sink.url}/other`);
    await modal.getByLabel('Trigger', { exact: true }).click();
    await tap(page.locator('.ant-select-item-option[title="ERROR"]'));
    await modal.locator('.ant-modal-title').click();
    await submit.click();
    await modal.getByRole('alert').filter({ hasText: 'Unable to create webhook.' }).filter({ hasText: 'webhook_name_taken' }).waitFor();
    await ui.screenshot('webhook-new-name-taken');
    await modal.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await server.api('GET', '/api/v1/webhooks')).body.webhooks.length, 1);

    // Experiments: create one and move it to COMPLETED: the webhook fires.
    await page.getByRole('menuitem', { name: 'Experiments' }).click();
    await page.getByRole('button', { name: 'New Experiment' }).click();
    const expModal = page.getByRole('dialog', { name: 'New Experiment' });
    await expModal.getByLabel('Name', { exact: true }).fill('ui-exp');
    await expModal.getByLabel('Name', { exact: true }).press('Enter'); // the keyboard submits the form
    const expRow = page.getByRole('row').filter({ hasText: 'ui-exp' });
    await expRow.getByText('ACTIVE', { exact: true }).waitFor();
    await expRow.getByRole('button', { name: 'Move experiment ui-exp to another state' }).click();
    await tap(page.getByRole('menuitem', { name: 'COMPLETED', exact: true }));
    await page.getByText('ui-exp is now COMPLETED: 1 event fired.', { exact: true }).waitFor();
    await expRow.getByText('COMPLETED', { exact: true }).waitFor();
    await expRow.getByRole('cell').nth(5).filter({ hasText: /^1$/ }).waitFor(); // Events fired
    await ui.screenshot('experiments');
    // The sink got the two tests (200, then 500) and now the experiment's event.
    const fired = (await sink.waitFor(3, 10_000))[2];
    const payload = JSON.parse(fired!.text);
    assert.equal(payload.condition.state, 'COMPLETED');
    assert.equal(payload.event_data.experiment.name, 'ui-exp');

    // An ended experiment can only move on to the deletion states: the menu offers nothing the server would refuse.
    await expRow.getByRole('button', { name: 'Move experiment ui-exp to another state' }).click();
    const moveMenu = page.getByRole('menu').filter({ has: page.getByRole('menuitem', { name: 'DELETING', exact: true }) });
    await moveMenu.waitFor();
    const offered = async () => (await moveMenu.getByRole('menuitem').allInnerTexts()).map((t) => t.trim());
    // The menu may still be rendering its items: read it until it holds what it will show (at most 5 s).
    for (let i = 0; i < 50 && (await offered()).length < 4; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await offered(), ['DELETING', 'DELETE_FAILED', 'DELETED', 'PARTIALLY_DELETED']);
    await page.keyboard.press('Escape');

    // The detail view: the delivery, its attempt, its payload.
    await page.getByRole('menuitem', { name: 'Webhooks' }).click();
    await page.getByRole('link', { name: 'ui-hook' }).click();
    await page.waitForURL(`**/webhooks/${hook.id}`);
    await page.getByRole('heading', { name: 'ui-hook' }).waitFor();
    const delivery = page.getByRole('row').filter({ hasText: 'EXPERIMENT_STATE_CHANGE' });
    await delivery.getByText('delivered', { exact: true }).waitFor();
    await delivery.getByRole('cell', { name: '200', exact: true }).waitFor();
    await ui.screenshot('webhook-detail');
    await delivery.getByRole('button', { name: 'Attempts' }).click();
    const drawer = page.locator('.ant-drawer-content');
    await drawer.getByText('Attempt 1', { exact: true }).waitFor();
    await drawer.getByText('HTTP 200', { exact: true }).waitFor();
    await drawer.locator('pre').filter({ hasText: '"name": "ui-exp"' }).waitFor(); // the payload
    await settled(drawer);
    await ui.screenshot('webhook-delivery-attempts');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    // Redeliver it: a second delivery of the same event reaches the sink.
    await delivery.first().getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText('Delivery queued again.', { exact: true }).waitFor();
    const again = (await sink.waitFor(4, 10_000))[3];
    assert.equal(JSON.parse(again!.text).event_id, payload.event_id);

    // Pause and resume.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Webhook paused: deliveries wait until you resume it.', { exact: true }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/webhooks/${hook.id}`)).body.webhook.paused, true);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Webhook resumed.', { exact: true }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/webhooks/${hook.id}`)).body.webhook.paused, false);

    // Signing: turn on Standard Webhooks, show the secret, rotate it.
    await page.getByRole('switch', { name: 'Sign with Standard Webhooks' }).click();
    await page.getByText('Standard Webhooks signing is on.', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Show secret' }).click();
    const secret = (await server.api('GET', `/api/v1/webhooks/${hook.id}/secret`)).body.secret as string;
    await page.getByText(secret, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await tap(page.getByRole('button', { name: 'Rotate', exact: true }));
    await page.getByText('Secret rotated.', { exact: true }).waitFor();
    const rotated = (await server.api('GET', `/api/v1/webhooks/${hook.id}/secret`)).body;
    assert.notEqual(rotated.secret, secret);
    assert.equal(rotated.previousSecret, secret);
    await page.getByText(rotated.secret, { exact: true }).waitFor();
    await ui.screenshot('webhook-detail-signing');

    // An endpoint that answers 410 Gone: the delivery is dead, the engine disables the webhook; the page shows both
    // (live, without a reload), and re-enabling and redelivering the dead one from the page gets it through.
    sink.respond(410);
    const exp2 = await server.api('POST', '/api/v1/experiments', { name: 'ui-exp-2' });
    assert.equal((await server.api('POST', `/api/v1/experiments/${exp2.body.experiment.id}/state`, { state: 'COMPLETED' })).body.eventsFired, 1);
    await page.getByText('Disabled by the delivery engine', { exact: true }).waitFor();
    const dead = page.getByRole('row').filter({ hasText: 'dead' });
    await dead.getByRole('cell', { name: '410', exact: true }).waitFor();
    await ui.screenshot('webhook-detail-disabled');
    sink.respond(200);
    await page.getByRole('button', { name: 'Re-enable' }).click();
    await page.getByText('Webhook re-enabled.', { exact: true }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/webhooks/${hook.id}`)).body.webhook.disabledAt, null);
    const before = sink.requests.length;
    await page.getByRole('button', { name: 'Redeliver all dead' }).click();
    await tap(page.getByRole('button', { name: 'Redeliver all', exact: true }));
    await page.getByText('1 dead delivery queued again.', { exact: true }).waitFor();
    const redelivered = (await sink.waitFor(before + 1, 10_000))[before]!;
    assert.equal(JSON.parse(redelivered.text).event_data.experiment.name, 'ui-exp-2');
    // The dead one's drawer names its redelivery and follows the link to it; redelivering all dead again sends nothing.
    const deadId = (await server.api('GET', `/api/v1/deliveries?webhookId=${hook.id}&status=dead`)).body.deliveries[0].id as number;
    const copy = (await server.api('GET', `/api/v1/deliveries/${deadId}`)).body.delivery.redeliveries[0];
    await until(async () => (await server.api('GET', `/api/v1/deliveries/${copy.id}`)).body.delivery.status === 'delivered', 'the redelivery recorded');
    // The table points from the dead row to its redelivery (live), and the drawer says more.
    await dead.getByRole('button', { name: `Redelivered as delivery ${copy.id}, delivered` }).waitFor();
    await dead.getByRole('button', { name: 'Attempts' }).click();
    await drawer.getByText(`Delivery ${deadId}`, { exact: true }).waitFor();
    const as = drawer.locator('.ant-descriptions-item').filter({ hasText: 'Redelivered as' });
    await as.getByText('delivered', { exact: true }).waitFor();
    await settled(drawer);
    await ui.screenshot('webhook-delivery-redelivered');
    await as.getByRole('button', { name: `delivery ${copy.id}` }).click();
    await drawer.getByText(`Delivery ${copy.id}`, { exact: true }).waitFor();
    await drawer.locator('.ant-descriptions-item').filter({ hasText: 'Redelivery of' }).getByRole('button', { name: `delivery ${deadId}` }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Redeliver all dead' }).click();
    await tap(page.getByRole('button', { name: 'Redeliver all', exact: true }));
    await page.getByText('No dead delivery to redeliver (an event delivered or queued again since is left out).', { exact: true }).waitFor();
    assert.equal(sink.requests.length, before + 1, 'nothing sent again');

    // Edit Webhook: a new URL.
    await page.getByRole('button', { name: 'Actions for webhook ui-hook' }).click();
    await tap(page.getByRole('menuitem', { name: 'Edit Webhook' }));
    const edit = page.getByRole('dialog', { name: 'Edit Webhook' });
    await settled(edit);
    assert.equal(await edit.getByLabel('Name').isDisabled(), true);
    await edit.getByLabel('URL').fill(`${sink.url}/moved`);
    await edit.getByRole('button', { name: 'Save Changes' }).click();
    await page.getByText('Webhook saved.', { exact: true }).waitFor();
    assert.equal((await server.api('GET', `/api/v1/webhooks/${hook.id}`)).body.webhook.url, `${sink.url}/moved`);

    // Delete Webhook, confirmed: back to the list, empty again.
    await page.getByRole('button', { name: 'Actions for webhook ui-hook' }).click();
    await tap(page.getByRole('menuitem', { name: 'Delete Webhook' }));
    const confirm = page.getByRole('dialog', { name: 'Confirm Delete' });
    await settled(confirm);
    await confirm.getByText('Are you sure you want to delete this webhook?', { exact: true }).waitFor();
    await ui.screenshot('webhook-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete Webhook' }).click();
    await page.waitForURL('**/det/webhooks');
    await page.getByText('No Webhooks Registered', { exact: true }).waitFor();
    assert.equal((await server.api('GET', '/api/v1/webhooks')).body.webhooks.length, 0);

    assert.deepEqual(ui.pageErrors, []);
  } finally {
    await ui.close();
    await sink.close();
  }
});
