/**
 * UI test harness: a real Switchyard (fresh SQLite data dir, the built web/dist) and a real Chromium (Debian's
 * `chromium`, driven by playwright-core) with a fresh profile. Screenshots go to artifacts/screenshots/<name>.png
 * (CI keeps artifacts/), so that someone can look at every page.
 */
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestServer, ADMIN_TOKEN, type TestServer, type TestServerOptions } from '../helpers/harness.js';
import { repoRoot } from '../helpers/vectors.js';

export const SCREENSHOT_DIR = join(repoRoot(), 'artifacts', 'screenshots');

/** The Chromium binary: $CHROMIUM_PATH, else `command -v chromium` (scripts/test-all.sh installs it). */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch { /* not this one */ }
  }
  throw new Error('Chromium is not installed: run `apt-get install -y chromium` (scripts/test-all.sh does), or set CHROMIUM_PATH');
}

export interface UiSession {
  server: TestServer;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors the page reported (a test checks it is empty). */
  pageErrors: string[];
  /** The server's URL for a UI path. */
  url(path: string): string;
  /** Saves a full-page screenshot as artifacts/screenshots/<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startUi(opts: TestServerOptions & { login?: boolean } = {}): Promise<UiSession> {
  if (!existsSync(join(repoRoot(), 'web', 'dist', 'index.html'))) {
    throw new Error('web/dist is not built: run `npm run build` (it builds the UI too)');
  }
  const server = await startTestServer(opts);
  const profile = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ],
      viewport: { width: 1366, height: 800 },
      timeout: 60_000,
    });
  } catch (e) {
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A failed API call is logged by the browser as a console error: the page shows those itself.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  const session: UiSession = {
    server, context, page, pageErrors,
    url: (path) => `${server.url}${path}`,
    async screenshot(name) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      await server.stop();
    },
  };
  if (opts.login !== false) await login(session);
  return session;
}

/** Logs in through the login page (the admin token by default); ends on the page the login came from (Webhooks when
 *  opened directly). */
export async function login(s: UiSession, token = ADMIN_TOKEN): Promise<void> {
  await s.page.goto(s.url('/login'));
  await s.page.getByLabel('API token').fill(token);
  await s.page.getByRole('button', { name: 'Log in' }).click();
  await s.page.waitForURL((u) => !u.pathname.endsWith('/login'));
}

/**
 * Waits until the element and every element around it have finished their opening animation: antd (rc-motion) marks
 * them with `…-appear…` or `…-enter…` classes meanwhile. A popup (modal, menu, popconfirm, select list) holds still
 * for a frame or two before its animation starts, which passes Playwright's own check (the same box in two frames);
 * a press there can then be released on another element once the popup grows, and no click happens at all.
 */
export async function settled(l: Locator): Promise<Locator> {
  await l.waitFor();
  await l.evaluate((el: unknown) => new Promise<void>((resolve, reject) => {
    const g = globalThis as unknown as { requestAnimationFrame(f: () => void): void };
    const end = Date.now() + 5000;
    const moving = () => {
      for (let e = el as { className?: unknown; parentElement: unknown } | null; e; e = e.parentElement as typeof e) {
        if (/-(appear|enter|leave)(-|\s|$)/.test(String(e.className ?? ''))) return true;
      }
      return false;
    };
    const tick = () => {
      if (!moving()) resolve();
      else if (Date.now() > end) reject(new Error('still animating after 5 s'));
      else g.requestAnimationFrame(tick);
    };
    tick();
  }));
  return l;
}

/** Clicks an element of a popup once the popup has finished opening (see settled). */
export async function tap(l: Locator): Promise<void> {
  await (await settled(l)).click();
}
