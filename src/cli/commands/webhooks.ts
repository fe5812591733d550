/** `switchyard webhooks list|get|create|update|delete|test`: manage outgoing webhooks (Determined's API shape). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXPERIMENT_STATES } from '../../core/types.js';
import { ApiError, CliError, addConnectionOptions, connect, type ApiClient } from '../client.js';
import { collect, defaultIo, enumLabel, formatRecord, idArg, intArg, printJson, printTable, type Io } from '../format.js';

interface Trigger {
  triggerType: string;
  condition: Record<string, unknown>;
}
interface Webhook {
  id: number;
  url: string;
  name?: string;
  webhookType?: string;
  workspaceId?: number;
  mode?: string;
  triggers?: Partial<Trigger>[];
  signatureSchemes?: string[];
  standardWebhooks?: { secretPreview?: string | null } | null;
}

const STATES: readonly string[] = EXPERIMENT_STATES;
const TRIGGER_FORMS = 'COMPLETED, ERROR, another experiment state (e.g. CANCELED), TASKLOG:<regex> or CUSTOM';

/** `--trigger` value → API trigger: a state name, `TASKLOG:<regex>` or `CUSTOM`. */
export function parseTrigger(value: string): Trigger {
  const m = /^\s*TASK_?LOG\s*(?::(.*))?$/is.exec(value);
  if (m) {
    if (!m[1]) throw new InvalidArgumentError(`TASKLOG needs a regex, e.g. --trigger 'TASKLOG:CUDA out of memory'.`);
    return { triggerType: 'TRIGGER_TYPE_TASK_LOG', condition: { regex: m[1] } };
  }
  const name = value.trim().toUpperCase();
  if (name === 'CUSTOM') return { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} };
  if (STATES.includes(name)) return { triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition: { state: name } };
  throw new InvalidArgumentError(`unknown trigger; use ${TRIGGER_FORMS}.`);
}

/** An API trigger as a short label: `COMPLETED`, `TASKLOG(/regex/)`, `CUSTOM`. */
export function triggerLabel(t: Partial<Trigger>): string {
  const type = String(t.triggerType ?? '').replace(/^TRIGGER_TYPE_/, '');
  const c = t.condition ?? {};
  switch (type) {
    case 'EXPERIMENT_STATE_CHANGE': return String(c.state ?? '?');
    case 'TASK_LOG': return `TASKLOG(/${String(c.regex ?? '')}/)`;
    default: return type;
  }
}

function row(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    workspace: w.workspaceId ? w.workspaceId : 'global',
    mode: enumLabel(w.mode, 'WEBHOOK_MODE_'),
    type: enumLabel(w.webhookType, 'WEBHOOK_TYPE_'),
    url: w.url,
    triggers: (w.triggers ?? []).map(triggerLabel).join(', '),
  };
}

/** One webhook: `GET /api/v1/webhooks/<id>`, or (Determined has no single GET) the list, filtered. */
async function getWebhook(client: ApiClient, id: number): Promise<unknown> {
  try {
    return await client.request('GET', `/api/v1/webhooks/${id}`);
  } catch (err) {
    if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 405)) throw err;
    const { webhooks = [] } = await client.request<{ webhooks?: Webhook[] }>('GET', '/api/v1/webhooks');
    const webhook = webhooks.find((w) => w.id === id);
    if (webhook) return { webhook };
    // The server's own "not found" says it best; a bare 404 of a missing route does not.
    throw err.type !== 'unknown' ? err : new CliError(`webhook ${id} not found`);
  }
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('webhooks').description('manage outgoing webhooks (Determined-compatible)');

  addConnectionOptions(group.command('list').description('list webhooks')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ webhooks?: Webhook[] }>('GET', '/api/v1/webhooks');
    if (json) return printJson(res, io.out);
    const hooks = res.webhooks ?? [];
    if (hooks.length === 0) {
      return io.out('no webhooks yet; create one: switchyard webhooks create --url https://example.com/hook --trigger COMPLETED\n');
    }
    printTable(hooks.map(row), ['id', 'name', 'workspace', 'mode', 'type', 'url', 'triggers'].map((k) => ({ key: k, header: k.toUpperCase() })), io.out);
  });

  addConnectionOptions(group.command('get').description('show one webhook').argument('<id>', 'webhook id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = (await getWebhook(client, id)) as { webhook?: Webhook };
      if (json) return printJson(res, io.out);
      const w = res.webhook ?? ({ id, url: '' } as Webhook);
      const r = row(w);
      io.out(formatRecord([
        ['id', r.id], ['name', r.name], ['workspace', r.workspace], ['mode', r.mode], ['type', r.type], ['url', r.url],
        ['triggers', r.triggers], ['signatures', (w.signatureSchemes ?? ['determined']).join(', ')],
        ...(w.standardWebhooks?.secretPreview ? [['standard secret', `${w.standardWebhooks.secretPreview} (full: GET /api/v1/webhooks/${id}/secret)`] as [string, unknown]] : []),
      ]));
    });

  const create = group.command('create').description('create a webhook')
    .requiredOption('--url <url>', 'where to send events (the webhook URL; set the server with SWITCHYARD_URL or `switchyard --url <server> webhooks create …`)')
    .option('--name <name>', 'a name, unique in its workspace (experiments can reference it)')
    .addOption(new Option('--type <type>', 'payload format').choices(['default', 'slack']).default('default'))
    .option('--workspace-id <n>', 'workspace id (default: global)', intArg('--workspace-id'))
    .addOption(new Option('--mode <mode>', 'workspace: every experiment; specific: experiments that name this webhook')
      .choices(['workspace', 'specific']).default('workspace'))
    .option('--trigger <trigger>', `repeatable: ${TRIGGER_FORMS}`, collect(parseTrigger))
    .option('--standard-webhooks', 'also sign with the Standard Webhooks scheme (webhook-id/-timestamp/-signature)')
    .addHelpText('after', '\nExample:\n  switchyard webhooks create --name prod-alerts --url https://hooks.example.com/x --trigger COMPLETED --trigger ERROR --trigger "TASKLOG:CUDA out of memory"\n');
  addConnectionOptions(create, { url: false }).action(async (o: {
    url: string; name?: string; type: string; workspaceId?: number; mode: string; trigger?: Trigger[]; standardWebhooks?: boolean;
  }, cmd: Command) => {
    const triggers = o.trigger ?? [];
    if (triggers.length === 0) throw new CliError(`at least one --trigger is required (${TRIGGER_FORMS})`, 2);
    let mode = o.mode;
    if (mode !== 'specific' && triggers.some((t) => t.triggerType === 'TRIGGER_TYPE_CUSTOM')) {
      mode = 'specific';
      io.err('note: CUSTOM triggers need mode "specific" (they fire only for experiments that name this webhook); using --mode specific\n');
    }
    const body: Record<string, unknown> = {
      url: o.url,
      webhookType: `WEBHOOK_TYPE_${o.type.toUpperCase()}`,
      ...(o.name !== undefined ? { name: o.name } : {}),
      workspaceId: o.workspaceId ?? 0,
      mode: `WEBHOOK_MODE_${mode.toUpperCase()}`,
      triggers,
      ...(o.standardWebhooks ? { signatureSchemes: ['determined', 'standard'] } : {}),
    };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ webhook?: Webhook }>('POST', '/api/v1/webhooks', body);
    if (json) return printJson(res, io.out);
    const id = res.webhook?.id ?? '?';
    const name = res.webhook?.name ?? o.name;
    io.out(`created webhook ${id}${name ? ` "${name}"` : ''}; try it: switchyard webhooks test ${id}\n`);
    if (o.standardWebhooks) io.out(`its Standard Webhooks secret (whsec_…): GET /api/v1/webhooks/${id}/secret\n`);
    if (mode === 'specific') {
      io.out(`experiments opt in with: switchyard experiments create --name <exp> --webhook-id ${id}${name ? ` (or --webhook-name ${name})` : ''}\n`);
    }
  });

  const update = group.command('update').description('change the URL and/or name of a webhook').argument('<id>', 'webhook id', idArg)
    .option('--url <url>', 'the new webhook URL')
    .option('--name <name>', 'the new name');
  addConnectionOptions(update, { url: false }).action(async (id: number, o: { url?: string; name?: string }, cmd: Command) => {
    if (o.url === undefined && o.name === undefined) throw new CliError('nothing to update: pass --url and/or --name', 2);
    const body = { ...(o.url !== undefined ? { url: o.url } : {}), ...(o.name !== undefined ? { name: o.name } : {}) };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request('PATCH', `/api/v1/webhooks/${id}`, body);
    if (json) return printJson(res, io.out);
    io.out(`updated webhook ${id}\n`);
  });

  addConnectionOptions(group.command('delete').description('delete a webhook').argument('<id>', 'webhook id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('DELETE', `/api/v1/webhooks/${id}`);
      if (json) return printJson(res, io.out);
      io.out(`deleted webhook ${id}\n`);
    });

  addConnectionOptions(group.command('test').description('send a test event to a webhook now').argument('<id>', 'webhook id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('POST', `/api/v1/webhooks/${id}/test`);
      if (json) return printJson(res, io.out);
      io.out(`sent a test event to webhook ${id}; the receiver accepted it\n`);
    });
}
