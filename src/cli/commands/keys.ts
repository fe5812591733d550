/** `switchyard keys show`: the Determined signing key receivers verify `X-Determined-AI-Signature` with. */
import type { Command } from 'commander';
import { addConnectionOptions, connect } from '../client.js';
import { defaultIo, printJson, type Io } from '../format.js';

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('keys').description('signing keys');
  addConnectionOptions(group.command('show').description('print the webhook signing key (admin token needed)'))
    .action(async (_o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ signingKey?: string }>('GET', '/api/v1/keys/signing');
      if (json) return printJson(res, io.out);
      io.out(`${res.signingKey ?? ''}\n`);
    });
}
