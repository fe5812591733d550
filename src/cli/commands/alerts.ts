/**
 * `switchyard alerts list|ack`: what the server raised about deliveries (a delivery went dead, a webhook was disabled).
 * Not to be confused with `switchyard alert`, which sends an experiment's custom alert to webhooks.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { addConnectionOptions, connect, withQuery } from '../client.js';
import { collect, defaultIo, idArg, intArg, printJson, printTable, truncate, when, type Io } from '../format.js';
import { CliError } from '../client.js';

interface Alert {
  id: number;
  kind?: string;
  severity?: string;
  webhookId?: number;
  deliveryId?: number;
  title?: string;
  message?: string;
  count?: number;
  createdAt?: string;
  lastAt?: string;
  acknowledgedAt?: string | null;
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('alerts')
    .description('alerts the server raised about deliveries (dead deliveries, disabled webhooks); to send an experiment alert: switchyard alert');

  const list = group.command('list').description('list alerts, most recent first')
    .option('--open', 'only alerts not acknowledged yet')
    .option('--limit <n>', 'at most this many (1 to 1000; default 100)', intArg('--limit', 1, 1000));
  addConnectionOptions(list).action(async (o: { open?: boolean; limit?: number }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ alerts?: Alert[] }>('GET', withQuery('/api/v1/alerts', {
      open: o.open ? 'true' : undefined, limit: o.limit,
    }));
    if (json) return printJson(res, io.out);
    const rows = res.alerts ?? [];
    if (rows.length === 0) return io.out(o.open ? 'no open alerts\n' : 'no alerts\n');
    printTable(rows.map((a) => ({
      ...a,
      webhookId: a.webhookId ? a.webhookId : '-',
      lastAt: when(a.lastAt),
      acked: a.acknowledgedAt ? when(a.acknowledgedAt) : 'no',
      title: truncate(a.title ?? '', 80),
    })), [
      { key: 'id', header: 'ID' }, { key: 'kind', header: 'KIND' }, { key: 'severity', header: 'SEVERITY' },
      { key: 'webhookId', header: 'WEBHOOK' }, { key: 'count', header: 'COUNT' }, { key: 'lastAt', header: 'LAST' },
      { key: 'acked', header: 'ACKED' }, { key: 'title', header: 'TITLE' },
    ], io.out);
    const open = rows.filter((a) => !a.acknowledgedAt);
    if (open.length > 0) io.out(`acknowledge one: switchyard alerts ack ${open[0]!.id}\n`);
  });

  addConnectionOptions(group.command('ack').description('acknowledge an alert').argument('<id>', 'alert id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('POST', `/api/v1/alerts/${id}/acknowledge`);
      if (json) return printJson(res, io.out);
      io.out(`acknowledged alert ${id}\n`);
    });

  registerChannels(group, io);
}

interface Channel { id: number; name: string; kind: string; enabled?: boolean; filter?: Record<string, string[]> | null; config?: Record<string, unknown> }

function header(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError(`--header "${value}" must look like "Name: value"`);
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

/** `switchyard alerts channels list|create|delete|test`: where alerts are sent (email, Slack, HTTP). */
function registerChannels(alerts: Command, io: Io): void {
  const group = alerts.command('channels').description('where alerts are sent: email, Slack or an HTTP endpoint');

  addConnectionOptions(group.command('list').description('list alert channels')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ channels?: Channel[] }>('GET', '/api/v1/alert-channels');
    if (json) return printJson(res, io.out);
    const rows = res.channels ?? [];
    if (rows.length === 0) return io.out('no alert channels; add one: switchyard alerts channels create --name ops --email ops@example.com\n');
    printTable(rows.map((c) => ({
      ...c,
      enabled: c.enabled === false ? 'no' : 'yes',
      target: c.kind === 'email' ? ((c.config?.to as string[] | undefined) ?? []).join(', ') : String(c.config?.url ?? ''),
      filter: c.filter ? Object.entries(c.filter).map(([k, v]) => `${k}=${v.join(',')}`).join(' ') : 'all alerts',
    })), [
      { key: 'id', header: 'ID' }, { key: 'name', header: 'NAME' }, { key: 'kind', header: 'KIND' }, { key: 'enabled', header: 'ENABLED' },
      { key: 'target', header: 'TARGET' }, { key: 'filter', header: 'FILTER' },
    ], io.out);
  });

  const create = group.command('create').description('add an alert channel (one of --email, --slack-url, --http-url)')
    .requiredOption('--name <name>', 'a unique name')
    .option('--email <address>', 'send alerts by email to this address (repeatable)', collect((v: string) => v))
    .option('--slack-url <url>', 'post alerts to this Slack incoming webhook URL (kept secret)')
    .option('--http-url <url>', 'POST alerts as JSON to this URL')
    .option('--header <name:value>', 'a header for --http-url requests, e.g. "Authorization: Bearer x" (repeatable; values kept secret)', header)
    .option('--kind <kind>', 'only alerts of this kind: delivery.dead, webhook.disabled, flow.alert, run.failed (repeatable)', collect((v: string) => v))
    .option('--alert-name <name>', 'only alerts with this name (a flow alert step\'s name; repeatable)', collect((v: string) => v))
    .option('--severity <severity>', 'only alerts of this severity: info, warning, error (repeatable)', collect((v: string) => v))
    .option('--disabled', 'create it switched off');
  addConnectionOptions(create).action(async (o: {
    name: string; email?: string[]; slackUrl?: string; httpUrl?: string; header?: Record<string, string>; kind?: string[];
    alertName?: string[]; severity?: string[]; disabled?: boolean;
  }, cmd: Command) => {
    const targets = [o.email ? 'email' : null, o.slackUrl ? 'slack' : null, o.httpUrl ? 'http' : null].filter(Boolean);
    if (targets.length !== 1) throw new CliError('give exactly one of --email, --slack-url and --http-url');
    if (o.header && !o.httpUrl) throw new CliError('--header applies to --http-url channels only');
    const kind = targets[0]!;
    const config = kind === 'email' ? { to: o.email } : kind === 'slack' ? { url: o.slackUrl } : { url: o.httpUrl, ...(o.header ? { headers: o.header } : {}) };
    const filter = { ...(o.kind ? { kinds: o.kind } : {}), ...(o.alertName ? { names: o.alertName } : {}), ...(o.severity ? { severities: o.severity } : {}) };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ channel: Channel }>('POST', '/api/v1/alert-channels', {
      name: o.name, kind, config, enabled: !o.disabled, ...(Object.keys(filter).length ? { filter } : {}),
    });
    if (json) return printJson(res, io.out);
    io.out(`created alert channel ${res.channel.id} (${res.channel.name}, ${res.channel.kind}); try it: switchyard alerts channels test ${res.channel.id}\n`);
  });

  addConnectionOptions(group.command('delete').description('delete an alert channel').argument('<id>', 'channel id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('DELETE', `/api/v1/alert-channels/${id}`);
      if (json) return printJson(res, io.out);
      io.out(`deleted alert channel ${id}\n`);
    });

  addConnectionOptions(group.command('test').description('send a test notification through an alert channel').argument('<id>', 'channel id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ result?: string }>('POST', `/api/v1/alert-channels/${id}/test`);
      if (json) return printJson(res, io.out);
      io.out(`test notification sent: ${res.result ?? 'ok'}\n`);
    });
}
