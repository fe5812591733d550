/** The UI in a real Chromium against a real server: logging in, and every page of the side menu renders. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, login, chromiumPath } from './helpers.js';


// Without Chromium, fail at once, before any sink or server is started.
before(() => { chromiumPath(); });
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
    await page.waitForURL('**/det/webhooks');
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

    // A token revoked while logged in: the next API call answers 401 and the UI goes back to the login page.
    const made = await ui.server.api('POST', '/api/v1/tokens', { name: 'ui-user', role: 'user' });
    assert.equal(made.status, 200);
    await login(ui, made.body.secret);
    await page.waitForURL('**/settings'); // back where the logout happened
    await page.getByRole('menuitem', { name: 'Webhooks' }).click();
    await page.getByText('No Webhooks Registered', { exact: true }).waitFor();
    assert.equal((await ui.server.api('DELETE', `/api/v1/tokens/${made.body.token.id}`)).status, 200);
    await page.getByRole('menuitem', { name: 'Experiments' }).click();
    await page.waitForURL('**/login');
    assert.equal(await page.evaluate('localStorage.getItem("switchyard.token")'), null);
    assert.deepEqual(ui.pageErrors, []);
  } finally {
    await ui.close();
  }
});
