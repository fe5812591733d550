/** `switchyard workspaces list|create`: workspaces scope webhooks and experiments. */
import type { Command } from 'commander';
import { addConnectionOptions, connect } from '../client.js';
import { defaultIo, printJson, printTable, type Io } from '../format.js';

interface Workspace {
  id: number;
  name: string;
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('workspaces').description('list and create workspaces');

  addConnectionOptions(group.command('list').description('list workspaces')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ workspaces?: Workspace[] }>('GET', '/api/v1/workspaces');
    if (json) return printJson(res, io.out);
    const rows = res.workspaces ?? [];
    if (rows.length === 0) return io.out('no workspaces yet; create one: switchyard workspaces create <name>\n');
    printTable(rows as unknown as Record<string, unknown>[], [{ key: 'id', header: 'ID' }, { key: 'name', header: 'NAME' }], io.out);
  });

  addConnectionOptions(group.command('create').description('create a workspace').argument('<name>', 'workspace name'))
    .action(async (name: string, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ workspace?: Workspace }>('POST', '/api/v1/workspaces', { name });
      if (json) return printJson(res, io.out);
      const id = res.workspace?.id ?? '?';
      io.out(`created workspace ${id} "${name}"; add a webhook to it: switchyard webhooks create --workspace-id ${id} --url <url> --trigger COMPLETED\n`);
    });
}
