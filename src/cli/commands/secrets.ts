/**
 * `switchyard secrets set|list|delete`: named secrets that flow steps use as `{"secret": "NAME"}` in their config.
 * A value goes to the server and is never printed: not by `set`, and `list` shows only names and times.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError, addConnectionOptions, connect } from '../client.js';
import { defaultIo, printJson, printTable, when, type Io } from '../format.js';

/** The server's rule for the names of secrets it stores (PUT /api/v1/secrets/<NAME>). */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_VALUE = 64 * 1024;

interface Secret {
  name: string;
  createdAt?: string | null;
  updatedAt?: string | null;
}

function secretName(value: string): string {
  if (!SECRET_NAME.test(value)) {
    throw new InvalidArgumentError(`"${value}" must start with a letter and hold only letters, digits and _ (at most 64).`);
  }
  return value;
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line typed at a terminal, not echoed (Enter ends it, Ctrl-C cancels). */
function readHidden(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled; no secret was set'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The value of `secrets set`: --value, --from-env, else stdin (a trailing newline is dropped). */
async function secretValue(name: string, o: { value?: string; fromEnv?: string }, io: Io): Promise<string> {
  if (o.value !== undefined) return o.value;
  if (o.fromEnv !== undefined) {
    const v = io.env[o.fromEnv];
    if (v === undefined) throw new CliError(`environment variable ${o.fromEnv} is not set`, 2);
    return v;
  }
  const tty = io.stdin as NodeJS.ReadStream;
  if (tty.isTTY && typeof tty.setRawMode === 'function') {
    io.err(`value of secret ${name} (not shown; end with Enter): `);
    const v = await readHidden(tty);
    io.err('\n');
    return v;
  }
  return (await readAll(io.stdin)).replace(/\r?\n$/, '');
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('secrets').description('named secrets for flow steps (values are never shown)');

  const set = group.command('set').description('create or replace a secret (the value is read from stdin unless given)')
    .argument('<name>', 'secret name: a letter, then letters, digits or _', secretName)
    .addOption(new Option('--value <value>', 'the value (note: it stays in your shell history; prefer stdin or --from-env)').conflicts('fromEnv'))
    .option('--from-env <var>', 'take the value from this environment variable')
    .addHelpText('after', '\nExamples:\n  switchyard secrets set SMTP_PASSWORD              (type it; it is not shown)\n' +
      '  printf %s "$TOKEN" | switchyard secrets set SLACK_TOKEN\n  switchyard secrets set SLACK_TOKEN --from-env TOKEN\n' +
      '\nUse it in a step\'s config as {"secret": "SLACK_TOKEN"}.\n');
  addConnectionOptions(set).action(async (name: string, o: { value?: string; fromEnv?: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    client.ensureToken();
    const value = await secretValue(name, o, io);
    if (value === '') throw new CliError(`the value of secret ${name} is empty`, 2);
    if (Buffer.byteLength(value) > MAX_VALUE) throw new CliError(`the value of secret ${name} is longer than ${MAX_VALUE} bytes`, 2);
    const res = await client.request('PUT', `/api/v1/secrets/${encodeURIComponent(name)}`, { value });
    if (json) return printJson(res, io.out);
    io.out(`set secret ${name}; use it in a step's config as {"secret": "${name}"}\n`);
  });

  addConnectionOptions(group.command('list').description('list secrets: names and times, never values')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ secrets?: Secret[] }>('GET', '/api/v1/secrets');
    if (json) return printJson(res, io.out);
    const rows = res.secrets ?? [];
    if (rows.length === 0) return io.out('no secrets yet; add one: switchyard secrets set NAME\n');
    printTable(rows.map((s) => ({ name: s.name, createdAt: when(s.createdAt), updatedAt: when(s.updatedAt) })), [
      { key: 'name', header: 'NAME' }, { key: 'createdAt', header: 'CREATED' }, { key: 'updatedAt', header: 'UPDATED' },
    ], io.out);
  });

  addConnectionOptions(group.command('delete').description('delete a secret').argument('<name>', 'secret name'))
    .action(async (name: string, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('DELETE', `/api/v1/secrets/${encodeURIComponent(name)}`);
      if (json) return printJson(res, io.out);
      io.out(`deleted secret ${name}; steps that use {"secret": "${name}"} fail until it is set again\n`);
    });
}
