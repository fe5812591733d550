/**
 * The `switchyard` command line: a thin client of the server's /api/v1 (plus `serve` and a local `sink`).
 *
 * Exit codes: 0 ok; 1 the operation failed (API error, server unreachable, no token); 2 usage error (unknown command,
 * bad flag or value). Commands never call process.exit: they throw (CliError, ApiError) and `run` maps the error.
 * Imported by bin/switchyard.js, this module runs the CLI on process.argv; imported by tests it only exports.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ApiError, CliError, addConnectionOptions } from './client.js';
import { defaultIo, type Io } from './format.js';
import * as alert from './commands/alert.js';
import * as alerts from './commands/alerts.js';
import * as deliveries from './commands/deliveries.js';
import * as demo from './commands/demo.js';
import * as experiments from './commands/experiments.js';
import * as flows from './commands/flows.js';
import * as keys from './commands/keys.js';
import * as logs from './commands/logs.js';
import * as secrets from './commands/secrets.js';
import * as serve from './commands/serve.js';
import * as sink from './commands/sink.js';
import * as tokens from './commands/tokens.js';
import * as webhooks from './commands/webhooks.js';
import * as workspaces from './commands/workspaces.js';

const EXAMPLES = `
Examples:
  switchyard serve                                   start the server (prints the admin token on first start)
  export SWITCHYARD_TOKEN=sy_...                     then, from another terminal:
  switchyard sink --port 9000                        a local receiver that prints what it gets
  switchyard webhooks create --url http://127.0.0.1:9000/hook --trigger COMPLETED --trigger ERROR
  switchyard experiments create --name demo          then: switchyard experiments state 1 COMPLETED
  switchyard deliveries list --status dead           what could not be delivered (then: deliveries redeliver <id>)
`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(io: Io = defaultIo()): Command {
  const program = new Command('switchyard')
    .description('Switchyard: self-hosted webhooks, Determined-compatible')
    .version(version(), '-V, --version')
    .enablePositionalOptions() // the program's --url (server) is read before the command; `webhooks create --url` is the hook's
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXAMPLES);
  addConnectionOptions(program);
  for (const group of [serve, demo, webhooks, deliveries, alerts, experiments, logs, alert, flows, secrets, keys, tokens, workspaces, sink]) group.register(program, io);
  return program;
}

/** Prints an error the way the CLI reports it and returns the exit code. */
export function report(err: unknown, io: Io): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander printed it already
  if (err instanceof ApiError) {
    io.err(`error: ${err.message} (${err.reason}, HTTP ${err.status})\n`);
    if (err.status === 401) io.err('hint: check the token (--token or SWITCHYARD_TOKEN)\n');
    return 1;
  }
  if (err instanceof CliError) {
    io.err(`error: ${err.message}\n`);
    return err.exitCode;
  }
  io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (io.env.SWITCHYARD_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
  return 1;
}

/** Runs the CLI on `argv` (node-style: [node, script, ...args]) and resolves to the exit code. */
export async function run(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (err) {
    return report(err, io);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const real = realpathSync(entry);
    return [fileURLToPath(import.meta.url), fileURLToPath(new URL('../../../bin/switchyard.js', import.meta.url))].includes(real);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `switchyard … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  void run(process.argv).then((code) => {
    // On success let the event loop drain (serve keeps running); on failure exit now, whatever is still open.
    if (code !== 0) process.exit(code);
  });
}
