/** `switchyard experiments create|state|list|get`: report experiments and their state changes (they fire triggers). */
import type { Command } from 'commander';
import { EXPERIMENT_STATES } from '../../core/types.js';
import { CliError, addConnectionOptions, connect } from '../client.js';
import { collect, defaultIo, formatRecord, idArg, intArg, printJson, printTable, type Io } from '../format.js';

interface Experiment {
  id: number;
  name?: string;
  state?: string;
  workspace?: string;
  project?: string;
  resourcePool?: string;
  slotsPerTrial?: number;
  [key: string]: unknown;
}

const STATES: readonly string[] = EXPERIMENT_STATES;

/** The API names states like Determined's proto (`STATE_ACTIVE`); people read `ACTIVE`. */
const stateName = (v: unknown): string => String(v ?? '?').replace(/^STATE_/, '');

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('experiments').description('report experiments and state changes (these fire webhooks)');

  const create = group.command('create').description('create an experiment (it starts ACTIVE)')
    .requiredOption('--name <name>', 'experiment name')
    .option('--workspace <name>', 'workspace name (default: the default workspace)')
    .option('--project <name>', 'project name (default: the default project)')
    .option('--resource-pool <pool>', 'resource pool', 'default')
    .option('--slots-per-trial <n>', 'slots per trial', intArg('--slots-per-trial'), 1)
    .option('--webhook-id <n>', 'repeatable: a webhook this experiment names (integrations.webhooks.webhook_id)', collect(idArg))
    .option('--webhook-name <name>', 'repeatable: a webhook name (integrations.webhooks.webhook_name)', collect(String))
    .option('--exclude', 'opt out of all webhooks (integrations.webhooks.exclude)');
  addConnectionOptions(create).action(async (o: {
    name: string; workspace?: string; project?: string; resourcePool: string; slotsPerTrial: number;
    webhookId?: number[]; webhookName?: string[]; exclude?: boolean;
  }, cmd: Command) => {
    const body = {
      name: o.name,
      workspace: o.workspace ?? '',
      project: o.project ?? '',
      resourcePool: o.resourcePool,
      slotsPerTrial: o.slotsPerTrial,
      integrations: { webhooks: { webhook_id: o.webhookId ?? null, webhook_name: o.webhookName ?? null, exclude: o.exclude === true } },
    };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ experiment?: Experiment }>('POST', '/api/v1/experiments', body);
    if (json) return printJson(res, io.out);
    const id = res.experiment?.id ?? '?';
    const state = res.experiment?.state ? ` (${stateName(res.experiment.state)})` : '';
    io.out(`created experiment ${id} "${o.name}"${state}; finish it: switchyard experiments state ${id} COMPLETED\n`);
  });

  addConnectionOptions(group.command('state').description('move an experiment to a new state (fires state-change triggers)')
    .argument('<id>', 'experiment id', idArg)
    .argument('<state>', `new state: ${STATES.join(', ')}`))
    .action(async (id: number, stateArg: string, _o, cmd: Command) => {
      const state = stateArg.toUpperCase();
      if (!STATES.includes(state)) throw new CliError(`unknown state "${stateArg}"; use one of ${STATES.join(', ')}`, 2);
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ eventsFired?: number }>('POST', `/api/v1/experiments/${id}/state`, { state });
      if (json) return printJson(res, io.out);
      const n = res.eventsFired;
      io.out(`experiment ${id} is now ${state}${n === undefined ? '' : ` (${n} webhook event${n === 1 ? '' : 's'} queued)`}\n`);
    });

  const list = group.command('list').description('list experiments (oldest first)')
    .option('--limit <n>', 'at most this many', intArg('--limit', 1, 1000), 100)
    .option('--offset <n>', 'skip this many', intArg('--offset'), 0);
  addConnectionOptions(list).action(async (o: { limit: number; offset: number }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ experiments?: Experiment[]; pagination?: { total?: number } }>(
      'GET', `/api/v1/experiments?limit=${o.limit}&offset=${o.offset}`);
    if (json) return printJson(res, io.out);
    const rows = (res.experiments ?? []).map((e) => ({ ...e, state: stateName(e.state) }));
    if (rows.length === 0 && o.offset === 0) return io.out('no experiments yet; create one: switchyard experiments create --name my-exp\n');
    printTable(rows, [
      { key: 'id', header: 'ID' }, { key: 'name', header: 'NAME' }, { key: 'state', header: 'STATE' },
      { key: 'workspace', header: 'WORKSPACE' }, { key: 'project', header: 'PROJECT' },
      { key: 'resourcePool', header: 'POOL' }, { key: 'slotsPerTrial', header: 'SLOTS' },
    ], io.out);
    const total = res.pagination?.total;
    if (total !== undefined && total > o.offset + rows.length) {
      io.out(`(${o.offset + 1}–${o.offset + rows.length} of ${total}; more with --offset ${o.offset + rows.length})\n`);
    }
  });

  addConnectionOptions(group.command('get').description('show one experiment').argument('<id>', 'experiment id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ experiment?: Experiment }>('GET', `/api/v1/experiments/${id}`);
      if (json) return printJson(res, io.out);
      const e = res.experiment ?? { id };
      io.out(formatRecord(Object.entries({ ...e, state: stateName(e.state) })));
    });
}
