/**
 * `switchyard webhooks list|get|create|update|delete|test|pause|resume|enable`: manage outgoing webhooks (Determined's
 * API shape, plus Switchyard's delivery settings: ordering, retry policy, timeout, concurrency).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXPERIMENT_STATES } from '../../core/types.js';
import { MAX_CUSTOM_ATTEMPTS, MAX_WAIT_MS } from '../../core/retry.js';
import { ApiError, CliError, addConnectionOptions, connect, type ApiClient } from '../client.js';
import { collect, defaultIo, enumLabel, formatRecord, idArg, intArg, printJson, printTable, when, type Io } from '../format.js';

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
  ordering?: string;
  retryPolicy?: RetryPolicy | null;
  timeoutMs?: number | null;
  maxConcurrency?: number | null;
  paused?: boolean;
  disabledAt?: string | null;
  disabledReason?: string | null;
  failingSince?: string | null;
}
type RetryPolicy = { policy: string; scheduleSeconds?: number[] };

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

/** The API's `ordering` from `--ordering`: fifo (one at a time, in order) or best-effort. */
export function parseOrdering(value: string): 'FIFO' | 'BEST_EFFORT' {
  const v = value.trim().toLowerCase().replace(/_/g, '-');
  if (v === 'fifo') return 'FIFO';
  if (v === 'best-effort' || v === 'besteffort') return 'BEST_EFFORT';
  throw new InvalidArgumentError('use fifo (one delivery at a time, in order) or best-effort (the default).');
}

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };
const RETRY_FORMS = 'default, determined, inherit (the server\'s policy) or custom:<waits in seconds>, e.g. custom:5,60,600';

/** `--retry-policy` → the API's retryPolicy: a name, or {"policy":"custom","scheduleSeconds":[…]} from `custom:5,60,600`. */
export function parseRetryPolicy(value: string): string | { policy: 'custom'; scheduleSeconds: number[] } {
  const v = value.trim();
  const name = v.toLowerCase();
  if (name === 'default' || name === 'determined' || name === 'inherit') return name;
  const m = /^custom\s*(?::(.*))?$/is.exec(v);
  if (!m) throw new InvalidArgumentError(`use ${RETRY_FORMS}.`);
  if (!m[1]?.trim()) throw new InvalidArgumentError('custom needs the waits between attempts in seconds, e.g. custom:5,60,600.');
  const maxWaits = MAX_CUSTOM_ATTEMPTS - 1;
  const scheduleSeconds = m[1].split(',').map((part) => {
    const w = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(part);
    if (!w) throw new InvalidArgumentError(`"${part.trim()}" is not a wait; give seconds (or 30s, 5m, 1h, 1d) separated by commas, e.g. custom:5,60,600.`);
    const seconds = Number(w[1]) * (UNIT_SECONDS[(w[2] ?? '').toLowerCase()] ?? 1);
    if (seconds * 1000 > MAX_WAIT_MS) throw new InvalidArgumentError(`each wait must be at most ${MAX_WAIT_MS / 1000} seconds (7 days); got ${part.trim()}.`);
    return seconds;
  });
  if (scheduleSeconds.length > maxWaits) {
    throw new InvalidArgumentError(`a custom schedule has at most ${maxWaits} waits (${MAX_CUSTOM_ATTEMPTS} attempts); got ${scheduleSeconds.length}.`);
  }
  return { policy: 'custom', scheduleSeconds };
}

/** `--timeout-ms`: 0 (the server's default) or 100 to 600000. */
export function parseTimeoutMs(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || (n !== 0 && n < 100) || n > 600_000) {
    throw new InvalidArgumentError("--timeout-ms must be 0 (the server's default) or from 100 to 600000.");
  }
  return n;
}

/** An API retry policy as the `--retry-policy` value that sets it. */
export function retryLabel(p: RetryPolicy | null | undefined): string | undefined {
  if (p === undefined) return undefined;
  if (p === null) return "inherit (the server's policy)";
  return p.policy === 'custom' ? `custom:${(p.scheduleSeconds ?? []).join(',')}` : p.policy;
}

/** active, paused or disabled. */
export function webhookState(w: Pick<Webhook, 'paused' | 'disabledAt'>): string {
  return w.disabledAt ? 'disabled' : w.paused ? 'paused' : 'active';
}

interface SettingsFlags { ordering?: string; retryPolicy?: ReturnType<typeof parseRetryPolicy>; timeoutMs?: number; maxConcurrency?: number }

function settingsBody(o: SettingsFlags): Record<string, unknown> {
  return {
    ...(o.ordering !== undefined ? { ordering: o.ordering } : {}),
    ...(o.retryPolicy !== undefined ? { retryPolicy: o.retryPolicy } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.maxConcurrency !== undefined ? { maxConcurrency: o.maxConcurrency } : {}),
  };
}

/** The delivery-settings flags of `create` and `update`. */
function addSettingsOptions(cmd: Command): Command {
  return cmd
    .option('--ordering <ordering>', 'fifo: one delivery at a time, in order; best-effort: in parallel (the default)', parseOrdering)
    .option('--retry-policy <policy>', RETRY_FORMS, parseRetryPolicy)
    .option('--timeout-ms <n>', "request timeout in ms: 100 to 600000, or 0 for the server's default", parseTimeoutMs)
    .option('--max-concurrency <n>', "requests in flight at once: 1 to 10000, or 0 for the server's default", intArg('--max-concurrency', 0, 10_000));
}

function row(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    state: webhookState(w),
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
    printTable(hooks.map(row), ['id', 'name', 'state', 'workspace', 'mode', 'type', 'url', 'triggers'].map((k) => ({ key: k, header: k.toUpperCase() })), io.out);
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
        ['ordering', w.ordering === undefined ? undefined : w.ordering === 'FIFO' ? 'fifo' : 'best-effort'],
        ['retry policy', retryLabel(w.retryPolicy)],
        ['timeout', w.timeoutMs === undefined ? undefined : w.timeoutMs ? `${w.timeoutMs} ms` : "server's default"],
        ['concurrency', w.maxConcurrency === undefined ? undefined : w.maxConcurrency ? w.maxConcurrency : "server's default"],
        ['state', r.state],
        ['paused', w.paused === undefined ? undefined : w.paused ? 'yes' : 'no'],
        ['disabled at', when(w.disabledAt)],
        ['disabled reason', w.disabledReason],
        ['failing since', when(w.failingSince)],
      ]));
      if (w.disabledAt) io.out(`it is disabled; after fixing the receiver: switchyard webhooks enable ${id}\n`);
      else if (w.paused) io.out(`it is paused; deliveries wait until: switchyard webhooks resume ${id}\n`);
    });

  const create = group.command('create').description('create a webhook')
    .requiredOption('--url <url>', 'where to send events (the webhook URL; set the server with SWITCHYARD_URL or `switchyard --url <server> webhooks create …`)')
    .option('--name <name>', 'a name, unique in its workspace (experiments can reference it)')
    .addOption(new Option('--type <type>', 'payload format').choices(['default', 'slack']).default('default'))
    .option('--workspace-id <n>', 'workspace id (default: global)', intArg('--workspace-id'))
    .addOption(new Option('--mode <mode>', 'workspace: every experiment; specific: experiments that name this webhook')
      .choices(['workspace', 'specific']).default('workspace'))
    .option('--trigger <trigger>', `repeatable: ${TRIGGER_FORMS}`, collect(parseTrigger))
    .option('--standard-webhooks', 'also sign with the Standard Webhooks scheme (webhook-id/-timestamp/-signature)');
  addSettingsOptions(create)
    .addHelpText('after', '\nExample:\n  switchyard webhooks create --name prod-alerts --url https://hooks.example.com/x --trigger COMPLETED --trigger ERROR --trigger "TASKLOG:CUDA out of memory"\n' +
      '  switchyard webhooks create --url https://hooks.example.com/y --trigger ERROR --ordering fifo --retry-policy custom:5,60,600 --timeout-ms 5000\n');
  addConnectionOptions(create, { url: false }).action(async (o: SettingsFlags & {
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
      ...settingsBody(o),
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

  const update = group.command('update').description('change the URL, name or delivery settings of a webhook').argument('<id>', 'webhook id', idArg)
    .option('--url <url>', 'the new webhook URL')
    .option('--name <name>', 'the new name');
  addSettingsOptions(update)
    .addHelpText('after', '\nExample:\n  switchyard webhooks update 3 --ordering fifo --retry-policy custom:5,60,600 --timeout-ms 5000\n');
  addConnectionOptions(update, { url: false }).action(async (id: number, o: SettingsFlags & { url?: string; name?: string }, cmd: Command) => {
    const body = {
      ...(o.url !== undefined ? { url: o.url } : {}), ...(o.name !== undefined ? { name: o.name } : {}), ...settingsBody(o),
    };
    if (Object.keys(body).length === 0) {
      throw new CliError('nothing to update: pass --url, --name, --ordering, --retry-policy, --timeout-ms and/or --max-concurrency', 2);
    }
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

  const stateCommands: [string, string, (id: number, w: Webhook | undefined) => string][] = [
    ['pause', 'stop sending (deliveries queue up until resume)',
      (id) => `paused webhook ${id}; new deliveries wait. Send them: switchyard webhooks resume ${id}\n`],
    ['resume', 'send again after pause (queued deliveries go out)',
      (id, w) => `resumed webhook ${id}${w?.disabledAt ? `; it is still disabled: switchyard webhooks enable ${id}` : '; queued deliveries go out now'}\n`],
    ['enable', 're-enable a webhook the server disabled (e.g. after 410 Gone or failing too long)',
      (id, w) => `enabled webhook ${id}${w?.paused ? `; it is still paused: switchyard webhooks resume ${id}` : ''}\n` +
        `dead deliveries can be sent again: switchyard deliveries redeliver-dead --webhook ${id}\n`],
  ];
  for (const [name, description, done] of stateCommands) {
    addConnectionOptions(group.command(name).description(description).argument('<id>', 'webhook id', idArg))
      .action(async (id: number, _o, cmd: Command) => {
        const { client, json } = connect(cmd, io.env);
        const res = await client.request<{ webhook?: Webhook }>('POST', `/api/v1/webhooks/${id}/${name}`);
        if (json) return printJson(res, io.out);
        io.out(done(id, res.webhook));
      });
  }
}
