/** `switchyard tokens create|list|revoke`: API tokens (the secret is shown once, at creation). */
import { Option, type Command } from 'commander';
import { addConnectionOptions, connect } from '../client.js';
import { defaultIo, printJson, printTable, when, type Io } from '../format.js';

interface Token {
  id: number | string;
  name: string;
  role: string;
  prefix: string;
  createdAt?: string | number;
  lastUsedAt?: string | number | null;
  revokedAt?: string | number | null;
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('tokens').description('manage API tokens');

  const create = group.command('create').description('create an API token (prints its secret once)')
    .requiredOption('--name <name>', 'what the token is for, e.g. ci')
    .addOption(new Option('--role <role>', 'admin: everything; user: webhooks, experiments, logs').choices(['admin', 'user']).default('user'));
  addConnectionOptions(create).action(async (o: { name: string; role: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ token?: Token; secret?: string }>('POST', '/api/v1/tokens', { name: o.name, role: o.role });
    if (json) return printJson(res, io.out);
    // The secret alone on stdout (so `$(switchyard tokens create …)` captures it); the notes on stderr.
    io.err(`created ${res.token?.role ?? o.role} token ${res.token?.id ?? '?'} "${o.name}"; its secret (it cannot be shown again, store it now):\n`);
    io.out(`${res.secret ?? ''}\n`);
    io.err('use it with: export SWITCHYARD_TOKEN=<secret>   (or --token <secret>)\n');
  });

  addConnectionOptions(group.command('list').description('list API tokens (never their secrets)')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ tokens?: Token[] }>('GET', '/api/v1/tokens');
    if (json) return printJson(res, io.out);
    const rows = (res.tokens ?? []).map((t) => ({
      ...t,
      createdAt: when(t.createdAt),
      lastUsedAt: when(t.lastUsedAt, 'never'),
      status: t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active',
    }));
    printTable(rows, [
      { key: 'id', header: 'ID' }, { key: 'name', header: 'NAME' }, { key: 'role', header: 'ROLE' },
      { key: 'prefix', header: 'PREFIX' }, { key: 'createdAt', header: 'CREATED' },
      { key: 'lastUsedAt', header: 'LAST USED' }, { key: 'status', header: 'STATUS' },
    ], io.out);
  });

  addConnectionOptions(group.command('revoke').description('revoke an API token').argument('<id>', 'token id'))
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      if (json) return printJson(res, io.out);
      io.out(`revoked token ${id}; requests with it are now refused\n`);
    });
}
