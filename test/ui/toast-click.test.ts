/** A toast that slides in between a press and its release does not swallow the click (it lets clicks through). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { startUi, chromiumPath } from './helpers.js';

before(() => { chromiumPath(); });

/** The toast's box once it has stopped moving (it slides in from above the page). */
async function restingBox(page: Page, text: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const toast: Locator = page.locator('.ant-message-notice-content', { hasText: text });
  await toast.waitFor();
  let last = await toast.boundingBox();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await toast.boundingBox();
    if (last && now && now.y >= 0 && now.y === last.y) return now;
    last = now;
  }
  throw new Error(`the toast "${text}" never came to rest: ${JSON.stringify(last)}`);
}

async function setSecret(page: Page, name: string): Promise<void> {
  await page.getByLabel('Secret name').fill(name);
  await page.getByLabel('Secret value').fill('v');
  await page.getByRole('button', { name: 'Set secret' }).click();
}

test('UI: a toast that slides over a tab while it is pressed does not swallow the click', { timeout: 120_000 }, async () => {
  const ui = await startUi();
  const { page } = ui;
  try {
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.getByText('No secrets yet.').waitFor();
    const tab = page.getByRole('tab', { name: 'Alert channels' });
    // Where the second toast of a stack rests: two toasts, measured, then left to go away.
    await setSecret(page, 'A1');
    await restingBox(page, 'Secret A1 saved.');
    await setSecret(page, 'B1');
    const second = await restingBox(page, 'Secret B1 saved.');
    await page.getByText('Secret B1 saved.').waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await page.locator('.ant-message-notice').count(), 0, 'the toasts went away');
    // A point on the tab that the second toast (same text length) will cover.
    const t = (await tab.boundingBox())!;
    const x0 = Math.max(t.x, second.x) + 2, x1 = Math.min(t.x + t.width, second.x + second.width) - 2;
    const y0 = Math.max(t.y, second.y) + 2, y1 = Math.min(t.y + t.height, second.y + second.height) - 2;
    assert.ok(x0 < x1 && y0 < y1, `the second toast ${JSON.stringify(second)} covers part of the tab ${JSON.stringify(t)}`);
    const at = { x: (x0 + x1) / 2, y: (y0 + y1) / 2 };

    await setSecret(page, 'A2');
    await restingBox(page, 'Secret A2 saved.');
    await page.getByLabel('Secret name').fill('B2');
    await page.getByLabel('Secret value').fill('v');
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    // The second toast slides in over the pressed tab (the form is submitted without the mouse).
    await page.evaluate(`document.querySelector('form').requestSubmit()`);
    const over = await restingBox(page, 'Secret B2 saved.');
    assert.ok(at.x > over.x && at.x < over.x + over.width && at.y > over.y && at.y < over.y + over.height, 'the toast is over the pressed point');
    await page.mouse.up();
    await page.getByRole('tab', { name: 'Alert channels', selected: true }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'New channel' }).waitFor();
    assert.deepEqual(ui.pageErrors, []);
  } catch (e) {
    await ui.screenshot('toast-click-failure').catch(() => undefined);
    throw e;
  } finally {
    await ui.close();
  }
});
