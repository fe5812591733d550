/** `switchyard demo [--exit]`: the seed's scenario, end to end, on this machine (see src/demo.ts). */
import type { Command } from 'commander';
import { CliError } from '../client.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description("run the seed's scenario: Determined webhook → catch hook → verify → email or alert, with a local SMTP server")
    .option('--exit', 'end after the scenario; exit 0 only if both paths behaved as expected (for scripts and CI)')
    .action(async (o: { exit?: boolean }) => {
      const url = new URL('../../demo.js', import.meta.url);
      const mod = (await import(url.href).catch(() => { throw new CliError('the demo is not built here: run npm run build'); })) as { runDemo(o: { exit: boolean }): Promise<number> };
      const code = await mod.runDemo({ exit: Boolean(o.exit) });
      process.exitCode = code;
    });
}
