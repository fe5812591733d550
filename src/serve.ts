/** `switchyard serve`: start, print where everything is, stop cleanly on SIGTERM / SIGINT. */
import { ConfigError, loadConfig } from './config.js';
import { startSwitchyard } from './server.js';
import { VERSION } from './http/app.js';

export async function runServe(opts: { host?: string; port?: number; dataDir?: string; configFile?: string }): Promise<void> {
  let config;
  try {
    config = loadConfig(opts);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`switchyard: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let running;
  try {
    running = await startSwitchyard(config);
  } catch (e) {
    // Configuration that only the components can judge (an allowlist entry, a port in use): say it plainly.
    const err = e as NodeJS.ErrnoException;
    const message = err.code === 'EADDRINUSE'
      ? `port ${config.port} on ${config.host} is in use: stop what runs there or pass --port`
      : err.message;
    process.stderr.write(`switchyard: cannot start: ${message}\n`);
    process.exit(err.code === 'EADDRINUSE' || /outbound\.allow/.test(message) ? 2 : 1);
  }
  const lines = [
    '',
    `Switchyard ${VERSION} is running`,
    `  API:      ${running.url}/api/v1`,
    `  UI:       ${running.url}/`,
    `  Database: ${running.databasePath} (SQLite)`,
  ];
  if (running.generatedAdminToken) {
    lines.push(
      '',
      '  An admin API token was generated. It is shown this once and stored only as a hash: keep it now.',
      `    export SWITCHYARD_TOKEN=${running.generatedAdminToken}`,
    );
  } else {
    lines.push('', '  Authenticate with the admin token printed on first start (or SWITCHYARD_ADMIN_TOKEN):');
  }
  lines.push(
    `    export SWITCHYARD_URL=${running.url}`,
    '  Then, from this folder: npx switchyard webhooks list    (every request: Authorization: Bearer <token>)',
    '',
  );
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing deliveries in flight)…\n`);
    running.stop().then(() => process.exit(0), (e) => {
      process.stderr.write(`error while stopping: ${String(e)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
