/** `switchyard serve`: starts the server in this process (the server module is loaded only for this command). */
import type { Command } from 'commander';
import { CliError } from '../client.js';
import { intArg } from '../format.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  configFile?: string;
}
type RunServe = (opts: ServeOptions) => Promise<void>;

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the Switchyard server (API, webhook delivery, receiver) in this process')
    .option('--host <host>', 'address to listen on')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0, 65535))
    .option('--data-dir <dir>', 'where the SQLite database and other state live')
    .option('--config <file>', 'a YAML config file')
    .action(async (o: { host?: string; port?: number; dataDir?: string; config?: string }) => {
      // A computed specifier keeps client commands from loading (or type-depending on) the server.
      const url = new URL('../../serve.js', import.meta.url);
      const mod = (await import(url.href).catch((err: { code?: string; message?: string }) => {
        if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message?.includes(url.pathname)) {
          throw new CliError('the server is not built here (no dist/src/serve.js): run npm run build');
        }
        throw err;
      })) as { runServe?: RunServe };
      if (typeof mod.runServe !== 'function') throw new CliError('this build has no server (serve.js exports no runServe)');
      await mod.runServe({ host: o.host, port: o.port, dataDir: o.dataDir, configFile: o.config });
    });
}
