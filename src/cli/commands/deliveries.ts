/**
 * `switchyard deliveries list|get|attempts|redeliver|redeliver-dead|stats`: the outbox — what was sent where, every
 * attempt, and redelivery of one delivery or of a webhook's dead ones.
 */
import { Option, type Command } from 'commander';
import { CliError, addConnectionOptions, connect, withQuery } from '../client.js';
import { TRIGGER_TYPES } from '../../core/types.js';
import {
  defaultIo, duration, formatRecord, idArg, intArg, printJson, printTable, timeArg, truncate, when, type Io,
} from '../format.js';

export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead'] as const;
export const ATTEMPT_OUTCOMES = ['ok', 'http', 'timeout', 'connect', 'dns', 'reset', 'tls', 'refused', 'other'] as const;
/** The server's largest page. */
const MAX_LIMIT = 1000;
/** Redelivered ids printed before "… and N more". */
const SHOW_IDS = 20;

export interface Delivery {
  id: number;
  eventId?: string;
  webhookId?: number;
  url?: string;
  eventType?: string;
  status?: string;
  redeliveryOf?: number | null;
  /** In the detail (GET /deliveries/{id}): the redeliveries made of it. */
  redeliveries?: { id: number; status: string }[];
  attempts?: number;
  nextAttemptAt?: string | null;
  lastStatusCode?: number | null;
  lastError?: string | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  payload?: string;
  contentType?: string | null;
  signed?: boolean;
}

export interface Attempt {
  id: number;
  deliveryId?: number;
  webhookId?: number;
  attempt?: number;
  startedAt?: string | null;
  durationMs?: number;
  url?: string;
  statusCode?: number | null;
  outcome?: string;
  error?: string | null;
  remoteAddress?: string | null;
}

interface Outbox {
  pending?: number;
  delivering?: number;
  failed?: number;
  dead?: number;
  deadRedelivered?: number;
  oldestDueCreatedAt?: string | null;
  inFlight?: number;
}

const limitArg = intArg('--limit', 1, MAX_LIMIT);
const webhookArg = intArg('--webhook', 1);

/** Deleted webhooks show as 0 in the API. */
const webhookCell = (id: number | undefined) => (id ? id : '-');

/** The LAST column: the HTTP status of the last attempt, else its error. */
function lastResult(d: Delivery): string {
  if (d.lastStatusCode !== null && d.lastStatusCode !== undefined) return String(d.lastStatusCode);
  return d.lastError ? truncate(d.lastError, 40) : '';
}

/** A payload for reading: pretty JSON when it parses, else as it is. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

function checkRange(o: { since?: string; until?: string }): void {
  if (o.since !== undefined && o.until !== undefined && Date.parse(o.since) >= Date.parse(o.until)) {
    throw new CliError(`--since (${o.since}) must be before --until (${o.until})`, 2);
  }
}

/** "more: …" when a page came back full (the API pages by id, newest first). */
function moreHint(rows: { id: number }[], limit: number, command: string): string {
  const last = rows.at(-1);
  return rows.length >= limit && last ? `(newest ${rows.length} shown; older ones: ${command} --before-id ${last.id})\n` : '';
}

/** An --event-type value: the type as deliveries carry it (Determined's TRIGGER_TYPE_ prefix accepted). */
function parseEventType(v: string): string {
  const t = v.trim().toUpperCase().replace(/^TRIGGER_TYPE_/, '');
  if (!(TRIGGER_TYPES as readonly string[]).includes(t)) {
    throw new CliError(`--event-type must be one of ${TRIGGER_TYPES.join(', ')}, got "${v}"`, 2);
  }
  return t;
}

function attemptRows(attempts: Attempt[]): Record<string, unknown>[] {
  return attempts.map((a) => ({
    ...a,
    webhookId: webhookCell(a.webhookId),
    startedAt: when(a.startedAt),
    durationMs: a.durationMs === undefined ? '' : `${a.durationMs}ms`,
    error: a.error ? truncate(a.error, 60) : '',
  }));
}

function listCommand(argv: string[]): string {
  return ['switchyard deliveries', ...argv].join(' ');
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('deliveries').description('inspect the outbox: deliveries, attempts, redelivery');

  const list = group.command('list').description('list deliveries, newest first')
    .option('--webhook <id>', 'only this webhook', webhookArg)
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(DELIVERY_STATUSES))
    .option('--event-type <type>', 'only this event type: EXPERIMENT_STATE_CHANGE, TASK_LOG or CUSTOM')
    .option('--since <time>', 'created at or after: RFC 3339 (2026-01-31T12:00:00Z) or that long ago (30m, 1h, 2d)', timeArg)
    .option('--until <time>', 'created before: RFC 3339 or that long ago', timeArg)
    .option('--limit <n>', `at most this many (1 to ${MAX_LIMIT}; default 100)`, limitArg)
    .option('--before-id <id>', 'only deliveries with a smaller id (the next page)', intArg('--before-id', 1))
    .addHelpText('after', '\nExamples:\n  switchyard deliveries list --status dead --since 1d\n  switchyard deliveries list --webhook 3 --event-type TASK_LOG --limit 20\n');
  addConnectionOptions(list).action(async (o: {
    webhook?: number; status?: string; eventType?: string; since?: string; until?: string; limit?: number; beforeId?: number;
  }, cmd: Command) => {
    checkRange(o);
    const eventType = o.eventType === undefined ? undefined : parseEventType(o.eventType);
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ deliveries?: Delivery[] }>('GET', withQuery('/api/v1/deliveries', {
      webhookId: o.webhook, status: o.status, eventType, since: o.since, until: o.until, limit: o.limit, beforeId: o.beforeId,
    }));
    if (json) return printJson(res, io.out);
    const rows = res.deliveries ?? [];
    const filtered = [o.webhook, o.status, eventType, o.since, o.until, o.beforeId].some((v) => v !== undefined);
    if (rows.length === 0) {
      return io.out(filtered ? 'no deliveries match\n' : 'no deliveries yet; they appear when a webhook fires (try: switchyard webhooks test <id>)\n');
    }
    printTable(rows.map((d) => ({
      ...d,
      webhookId: webhookCell(d.webhookId),
      // A delivery redelivered since points at its newest redelivery: `dead → 12 delivered`.
      status: d.redeliveries?.length ? `${d.status} → ${d.redeliveries.at(-1)!.id} ${d.redeliveries.at(-1)!.status}` : d.status,
      last: lastResult(d),
      createdAt: when(d.createdAt),
      nextAttemptAt: when(d.nextAttemptAt),
    })), [
      { key: 'id', header: 'ID' }, { key: 'webhookId', header: 'WEBHOOK' }, { key: 'eventType', header: 'EVENT TYPE' },
      { key: 'status', header: 'STATUS' }, { key: 'attempts', header: 'ATTEMPTS' }, { key: 'last', header: 'LAST' },
      { key: 'createdAt', header: 'CREATED' }, { key: 'nextAttemptAt', header: 'NEXT' },
    ], io.out);
    const args = [
      'list',
      ...(o.webhook !== undefined ? ['--webhook', String(o.webhook)] : []),
      ...(o.status !== undefined ? ['--status', o.status] : []),
      ...(eventType !== undefined ? ['--event-type', eventType] : []),
      ...(o.since !== undefined ? ['--since', o.since] : []),
      ...(o.until !== undefined ? ['--until', o.until] : []),
      ...(o.limit !== undefined ? ['--limit', String(o.limit)] : []),
    ];
    io.out(moreHint(rows, o.limit ?? 100, listCommand(args)));
  });

  addConnectionOptions(group.command('get').description('show one delivery: its fields, payload and attempts').argument('<id>', 'delivery id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ delivery?: Delivery; attempts?: Attempt[] }>('GET', `/api/v1/deliveries/${id}`);
      if (json) return printJson(res, io.out);
      const d = res.delivery ?? { id };
      io.out(formatRecord([
        ['id', d.id], ['status', d.status], ['webhook', webhookCell(d.webhookId)], ['url', d.url], ['event type', d.eventType],
        ['event id', d.eventId], ['attempts', d.attempts], ['last status', d.lastStatusCode], ['last error', d.lastError],
        ['next attempt', when(d.nextAttemptAt)], ['redelivery of', d.redeliveryOf],
        ['redelivered as', d.redeliveries?.length ? d.redeliveries.map((r) => `${r.id} (${r.status})`).join(', ') : undefined],
        ['created', when(d.createdAt)],
        ['updated', when(d.updatedAt)], ['content type', d.contentType],
        ['signed', d.signed === undefined ? undefined : d.signed ? 'yes' : 'no'],
      ]));
      if (d.payload !== undefined) io.out(`\npayload:\n${prettyPayload(d.payload)}\n`);
      const attempts = res.attempts ?? [];
      if (attempts.length === 0) {
        io.out('\nno attempts yet\n');
      } else {
        io.out('\nattempts:\n');
        printTable(attemptRows(attempts), [
          { key: 'attempt', header: 'ATTEMPT' }, { key: 'startedAt', header: 'STARTED' }, { key: 'durationMs', header: 'DURATION' },
          { key: 'outcome', header: 'OUTCOME' }, { key: 'statusCode', header: 'STATUS' }, { key: 'error', header: 'ERROR' },
          { key: 'remoteAddress', header: 'REMOTE' },
        ], io.out);
      }
      const delivered = d.redeliveries?.find((r) => r.status === 'delivered');
      const open = d.redeliveries?.find((r) => r.status !== 'delivered' && r.status !== 'dead');
      if (d.status === 'dead' && delivered) {
        io.out(`\nits event was delivered by redelivery ${delivered.id}: switchyard deliveries get ${delivered.id}\n`);
      } else if (d.status === 'dead' && open) {
        io.out(`\nits event is on its way again as delivery ${open.id}: switchyard deliveries get ${open.id}\n`);
      } else if (d.status === 'dead' || d.status === 'delivered') {
        io.out(`\nsend it again: switchyard deliveries redeliver ${d.id}\n`);
      }
    });

  const attempts = group.command('attempts').description('list delivery attempts, newest first')
    .option('--webhook <id>', 'only attempts of this webhook', webhookArg)
    .option('--delivery <id>', 'only attempts of this delivery', intArg('--delivery', 1))
    .addOption(new Option('--outcome <outcome>', 'only attempts with this outcome').choices(ATTEMPT_OUTCOMES))
    .option('--event-type <type>', 'only attempts of deliveries of this event type: EXPERIMENT_STATE_CHANGE, TASK_LOG or CUSTOM')
    .option('--since <time>', 'started at or after: RFC 3339 or that long ago (30m, 1h, 2d)', timeArg)
    .option('--until <time>', 'started before: RFC 3339 or that long ago', timeArg)
    .option('--limit <n>', `at most this many (1 to ${MAX_LIMIT}; default 100)`, limitArg)
    .option('--before-id <id>', 'only attempts with a smaller id (the next page)', intArg('--before-id', 1))
    .addHelpText('after', '\nExample:\n  switchyard deliveries attempts --webhook 3 --outcome timeout --since 2h\n');
  addConnectionOptions(attempts).action(async (o: {
    webhook?: number; delivery?: number; outcome?: string; eventType?: string; since?: string; until?: string; limit?: number; beforeId?: number;
  }, cmd: Command) => {
    checkRange(o);
    const eventType = o.eventType === undefined ? undefined : parseEventType(o.eventType);
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ attempts?: Attempt[] }>('GET', withQuery('/api/v1/attempts', {
      webhookId: o.webhook, deliveryId: o.delivery, outcome: o.outcome, eventType, since: o.since, until: o.until, limit: o.limit, beforeId: o.beforeId,
    }));
    if (json) return printJson(res, io.out);
    const rows = res.attempts ?? [];
    if (rows.length === 0) return io.out('no attempts match\n');
    printTable(attemptRows(rows), [
      { key: 'id', header: 'ID' }, { key: 'deliveryId', header: 'DELIVERY' }, { key: 'webhookId', header: 'WEBHOOK' },
      { key: 'attempt', header: 'ATTEMPT' }, { key: 'startedAt', header: 'STARTED' }, { key: 'durationMs', header: 'DURATION' },
      { key: 'outcome', header: 'OUTCOME' }, { key: 'statusCode', header: 'STATUS' }, { key: 'error', header: 'ERROR' },
      { key: 'remoteAddress', header: 'REMOTE' },
    ], io.out);
    const args = [
      'attempts',
      ...(o.webhook !== undefined ? ['--webhook', String(o.webhook)] : []),
      ...(o.delivery !== undefined ? ['--delivery', String(o.delivery)] : []),
      ...(o.outcome !== undefined ? ['--outcome', o.outcome] : []),
      ...(eventType !== undefined ? ['--event-type', eventType] : []),
      ...(o.since !== undefined ? ['--since', o.since] : []),
      ...(o.until !== undefined ? ['--until', o.until] : []),
      ...(o.limit !== undefined ? ['--limit', String(o.limit)] : []),
    ];
    io.out(moreHint(rows, o.limit ?? 100, listCommand(args)));
  });

  addConnectionOptions(group.command('redeliver').description('send a delivery again (as a new delivery with the same payload)')
    .argument('<id>', 'delivery id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ delivery?: Delivery }>('POST', `/api/v1/deliveries/${id}/redeliver`);
      if (json) return printJson(res, io.out);
      const newId = res.delivery?.id ?? '?';
      io.out(`redelivering delivery ${id} as delivery ${newId}; follow it: switchyard deliveries get ${newId}\n`);
    });

  const bulk = group.command('redeliver-dead').description("send a webhook's dead deliveries again (those created in [--since, --until))")
    .requiredOption('--webhook <id>', 'the webhook', webhookArg)
    .option('--since <time>', 'created at or after: RFC 3339 or that long ago (default: any time)', timeArg)
    .option('--until <time>', 'created before: RFC 3339 or that long ago (default: now)', timeArg)
    .addHelpText('after', '\nExample:\n  switchyard deliveries redeliver-dead --webhook 3 --since 1d\n');
  addConnectionOptions(bulk).action(async (o: { webhook: number; since?: string; until?: string }, cmd: Command) => {
    checkRange(o);
    const body = { ...(o.since !== undefined ? { since: o.since } : {}), ...(o.until !== undefined ? { until: o.until } : {}) };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ redelivered?: number; deliveryIds?: number[] }>('POST', `/api/v1/webhooks/${o.webhook}/redeliver`, body);
    if (json) return printJson(res, io.out);
    const ids = res.deliveryIds ?? [];
    const n = res.redelivered ?? ids.length;
    const range = [o.since ? ` since ${o.since}` : '', o.until ? ` until ${o.until}` : ''].join('');
    if (n === 0) {
      return io.out(`webhook ${o.webhook} has no dead deliveries${range} to redeliver (an event delivered or queued again since is left out)\n`);
    }
    const shown = ids.slice(0, SHOW_IDS).join(', ') + (ids.length > SHOW_IDS ? ` … and ${ids.length - SHOW_IDS} more` : '');
    io.out(`redelivering ${n} dead deliver${n === 1 ? 'y' : 'ies'} of webhook ${o.webhook}${range}` +
      `${shown ? ` as ${n === 1 ? 'delivery' : 'deliveries'} ${shown}` : ''}\n`);
    io.out(`follow them: switchyard deliveries list --webhook ${o.webhook}\n`);
  });

  addConnectionOptions(group.command('stats').description('outbox counts: pending, delivering, failed (retrying), dead'))
    .action(async (_o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<Outbox>('GET', '/api/v1/outbox');
      if (json) return printJson(res, io.out);
      const oldest = res.oldestDueCreatedAt ? Date.parse(res.oldestDueCreatedAt) : NaN;
      io.out(formatRecord([
        ['pending', res.pending ?? 0], ['delivering', res.delivering ?? 0], ['failed (retrying)', res.failed ?? 0],
        ['dead', res.deadRedelivered ? `${res.dead ?? 0} (${res.deadRedelivered} of them redelivered since)` : res.dead ?? 0],
        ['oldest open', Number.isFinite(oldest) ? `${when(res.oldestDueCreatedAt)} (${duration(Date.now() - oldest)} ago)` : 'none'],
        ['in flight', res.inFlight],
      ]));
      if ((res.dead ?? 0) - (res.deadRedelivered ?? 0) > 0) {
        io.out('see the dead ones: switchyard deliveries list --status dead; send them again: switchyard deliveries redeliver-dead --webhook <id>\n');
      }
    });
}
