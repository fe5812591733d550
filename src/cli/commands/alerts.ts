/**
 * `switchyard alerts list|ack`: what the server raised about deliveries (a delivery went dead, a webhook was disabled).
 * Not to be confused with `switchyard alert`, which sends an experiment's custom alert to webhooks.
 */
import type { Command } from 'commander';
import { addConnectionOptions, connect, withQuery } from '../client.js';
import { defaultIo, idArg, intArg, printJson, printTable, truncate, when, type Io } from '../format.js';

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
}
