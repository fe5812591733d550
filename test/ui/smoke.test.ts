/** The UI in a real Chromium against a real server: logging in, and every page of the side menu renders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, login } from './helpers.js';

test('UI: log in with a token, open every menu page, log out', { timeout: 120_000 }, async () => {
  const ui = await startUi({ login: false });
  const { page } = ui;
  try {
    // A page of the app without a token goes to the login page.
    await page.goto(ui.url('/det/webhooks'));
    await page.waitForURL('**/login');
    await ui.screenshot('login');

    // A wrong token is refused in words, and the user stays on the login page.
    await page.getByLabel('API token').fill('sy_not_a_real_token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'unknown or revoked' }).waitFor();
    assert.match(page.url(), /\/login$/);

    await login(ui);
    for (const [item, path, heading] of [
      ['Webhooks', '/det/webhooks', 'Webhooks'],
      ['Experiments', '/experiments', 'Experiments'],
      ['Flows', '/flows', 'Flows'],
      ['Alerts', '/alerts', 'Alerts'],
      ['Settings', '/settings', 'Settings'],
    ] as const) {
      await page.getByRole('menuitem', { name: item }).click();
      await page.waitForURL(`**${path}`);
      await page.getByRole('heading', { name: heading, level: 3 }).waitFor();
      assert.equal(await page.title(), `${heading} · Switchyard`);
      await ui.screenshot(`menu-${item.toLowerCase()}`);
    }

    // A reload keeps the session (token in localStorage) and the server answers the page's URL itself.
    await page.reload();
    await page.getByRole('heading', { name: 'Settings', level: 3 }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    assert.deepEqual(ui.pageErrors, []);
  } finally {
    await ui.close();
  }
});
