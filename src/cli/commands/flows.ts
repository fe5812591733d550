/**
 * `switchyard flows …` and `switchyard runs …`: the receiving side. Flows (a catch URL and the steps that run on each
 * request it gets), their captures (Test Trigger: every request exactly as it arrived), runs and replays.
 *
 * A flow definition is a JSON document (see src/core/flow/definition.ts); `create`, `update`, `import` and `validate`
 * read it from `--file` (`-` for stdin) and send it as it is: the server validates it and lists every problem.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ApiError, CliError, addConnectionOptions, connect, withQuery, type ApiClient } from '../client.js';
import {
  defaultIo, duration, formatRecord, idArg, intArg, printJson, printTable, timeArg, truncate, when, type Io,
} from '../format.js';

export const RUN_STATUSES = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'stopped'] as const;
/** The server's largest pages. */
const MAX_CAPTURES = 100;
const MAX_RUNS = 1000;
/** Characters of a step's input or output shown by `runs get` (all of it with --json). */
const SHOW_JSON = 1000;
const BODY_CELL = 60;

export interface Flow {
  id: number;
  name?: string;
  description?: string;
  enabled?: boolean;
  catchUrl?: string;
  sampleCaptureId?: number | null;
  definition?: unknown;
  createdAt?: string | null;
  updatedAt?: string | null;
}

export interface Capture {
  id: number;
  flowId?: number;
  status?: string;
  method?: string;
  path?: string;
  query?: string;
  headers?: { name: string; value: string }[];
  contentType?: string | null;
  size?: number;
  /** The body as text; null when it is not UTF-8 (then only bodyBase64). */
  body?: string | null;
  bodyBase64?: string;
  remoteAddress?: string;
  receivedAt?: string | null;
}

export interface RunStep {
  stepId: string;
  type?: string;
  status?: string;
  input?: unknown;
  output?: unknown;
  error?: string | null;
  attempts?: number;
  startedAt?: string | null;
  durationMs?: number | null;
}

export interface Run {
  id: number;
  flowId?: number;
  captureId?: number;
  origin?: string;
  replayOf?: number | null;
  status?: string;
  error?: string | null;
  createdAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  nextAttemptAt?: string | null;
  steps?: RunStep[];
}

const yesNo = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');

function topLevelSteps(definition: unknown): number | undefined {
  const steps = (definition as { steps?: unknown } | null | undefined)?.steps;
  return Array.isArray(steps) ? steps.length : undefined;
}

/** A byte count for reading: `512 B`, `1.5 KiB`, `2.0 MiB`. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The BODY cell of a capture: its first non-empty line, truncated; binary bodies say so. */
function bodyCell(c: Capture): string {
  if (c.body === null) return `(binary, ${bytes(c.size)})`;
  const first = (c.body ?? '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return truncate(first.trim(), BODY_CELL);
}

/** `{}`/`[]`/values as one line of JSON, cut at `max` characters. */
function compactJson(v: unknown, max = SHOW_JSON): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters; see --json)`;
}

function runDuration(r: Run): string {
  if (!r.startedAt || !r.finishedAt) return '';
  const ms = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  if (!Number.isFinite(ms)) return '';
  return ms < 1000 ? `${ms}ms` : duration(ms);
}

function stepDuration(s: RunStep): string {
  if (s.durationMs === null || s.durationMs === undefined) return '';
  return s.durationMs < 1000 ? `${s.durationMs}ms` : duration(s.durationMs);
}

function checkRange(o: { since?: string; until?: string }): void {
  if (o.since !== undefined && o.until !== undefined && Date.parse(o.since) >= Date.parse(o.until)) {
    throw new CliError(`--since (${o.since}) must be before --until (${o.until})`, 2);
  }
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of `--file` (`-`: stdin). Unreadable files are usage errors (exit 2). */
async function readText(file: string, io: Io): Promise<{ text: string; label: string }> {
  if (file === '-') {
    if (io.stdin.isTTY) io.err('reading the flow definition (JSON) from stdin (end with Ctrl-D)\n');
    return { text: await readAll(io.stdin), label: 'stdin' };
  }
  try {
    return { text: readFileSync(file, 'utf8'), label: file };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (err as Error).message;
    throw new CliError(`cannot read ${file}: ${why}`, 2);
  }
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${label} is not valid JSON: ${(err as Error).message}`, 2);
  }
}

/** Reads and parses the flow definition of `--file` (after checking the token, so stdin is not read for nothing). */
async function readDefinition(file: string, io: Io, client: ApiClient): Promise<unknown> {
  client.ensureToken();
  const { text, label } = await readText(file, io);
  if (text.trim() === '') throw new CliError(`${label} is empty; expected a flow definition (JSON)`, 2);
  return parseJson(text, label);
}

/**
 * The problems of an `invalid_flow` error, one per entry. The server joins them as
 * `the flow has N problems: <path>: <message>; <path>: <message>`; a message may itself hold "; ", so only a "; "
 * followed by something shaped like a JSON path and a colon starts a new problem.
 */
export function splitProblems(message: string): string[] {
  const body = message.replace(/^the flow has \d+ problems?: /, '');
  return body.split(/; (?=(?:\(root\)|[A-Za-z_$][\w$-]*(?:\[\d+\]|\.[\w$-]+)*): )/).map((p) => p.trim()).filter((p) => p !== '');
}

/** Asks the server to validate a definition's text; `problems` one per entry when it is not valid. */
async function checkFlow(client: ApiClient, text: string): Promise<{ valid: true; res: unknown } | { valid: false; problems: string[] }> {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (err) {
    return { valid: false, problems: [`(root): not valid JSON: ${(err as Error).message}`] };
  }
  try {
    const res = await client.request<{ valid?: boolean; problems?: string[] }>('POST', '/api/v1/flows/validate', body);
    return res.valid === false ? { valid: false, problems: res.problems ?? [] } : { valid: true, res };
  } catch (err) {
    if (!(err instanceof ApiError) || (err.type !== 'invalid_flow' && err.type !== 'invalid_json')) throw err;
    return { valid: false, problems: err.type === 'invalid_flow' ? splitProblems(err.message) : [`(root): ${err.message}`] };
  }
}

function flowFields(f: Flow): [string, unknown][] {
  return [
    ['id', f.id], ['name', f.name], ['description', f.description], ['on', yesNo(f.enabled)], ['catch URL', f.catchUrl],
    ['steps', topLevelSteps(f.definition)], ['sample capture', f.sampleCaptureId], ['created', when(f.createdAt)],
    ['updated', when(f.updatedAt)],
  ];
}

/** What to do after a flow was created or imported. */
function afterCreate(f: Flow, verb: string, io: Io): void {
  io.out(`${verb} flow ${f.id}${f.name ? ` "${f.name}"` : ''}\n`);
  io.out(`catch URL: ${f.catchUrl ?? '?'}\n`);
  if (f.enabled === false) io.out(`the flow is off: requests are captured but not run (turn it on: switchyard flows enable ${f.id})\n`);
  io.out(`send a request: curl -X POST ${f.catchUrl ?? '<catch URL>'} -d '{"hello": "world"}'\n`);
  io.out(`then see it: switchyard flows captures ${f.id}   and its runs: switchyard flows runs ${f.id}\n`);
}

function moreHint(rows: { id: number }[], limit: number, command: string): string {
  const last = rows.at(-1);
  return rows.length >= limit && last ? `(newest ${rows.length} shown; older ones: ${command} --before-id ${last.id})\n` : '';
}

interface RunFilters { status?: string; since?: string; until?: string; limit?: number; beforeId?: number }

function runFilterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES))
    .option('--since <time>', 'created at or after: RFC 3339 (2026-01-31T12:00:00Z) or that long ago (30m, 1h, 2d)', timeArg)
    .option('--until <time>', 'created before: RFC 3339 or that long ago', timeArg)
    .option('--limit <n>', `at most this many (1 to ${MAX_RUNS}; default 100)`, intArg('--limit', 1, MAX_RUNS))
    .option('--before-id <id>', 'only runs with a smaller id (the next page)', intArg('--before-id', 1));
}

async function listRuns(path: string, o: RunFilters & { flow?: number }, base: string[], cmd: Command, io: Io): Promise<void> {
  checkRange(o);
  const { client, json } = connect(cmd, io.env);
  const res = await client.request<{ runs?: Run[] }>('GET', withQuery(path, {
    flowId: o.flow, status: o.status, since: o.since, until: o.until, limit: o.limit, beforeId: o.beforeId,
  }));
  if (json) return printJson(res, io.out);
  const rows = res.runs ?? [];
  if (rows.length === 0) {
    const filtered = [o.status, o.since, o.until, o.beforeId].some((v) => v !== undefined);
    return io.out(filtered ? 'no runs match\n' : 'no runs yet; a run starts when the catch URL gets a request (or: switchyard flows run-capture <flow> <capture>)\n');
  }
  printTable(rows.map((r) => ({
    ...r,
    createdAt: when(r.createdAt),
    took: runDuration(r),
    origin: r.replayOf ? `replay of ${r.replayOf}` : r.origin,
    error: r.error ? truncate(r.error, 60) : '',
  })), [
    { key: 'id', header: 'ID' }, { key: 'flowId', header: 'FLOW' }, { key: 'captureId', header: 'CAPTURE' },
    { key: 'origin', header: 'ORIGIN' }, { key: 'status', header: 'STATUS' }, { key: 'createdAt', header: 'CREATED' },
    { key: 'took', header: 'DURATION' }, { key: 'error', header: 'ERROR' },
  ], io.out);
  const args = [
    ...base,
    ...(o.flow !== undefined ? ['--flow', String(o.flow)] : []),
    ...(o.status !== undefined ? ['--status', o.status] : []),
    ...(o.since !== undefined ? ['--since', o.since] : []),
    ...(o.until !== undefined ? ['--until', o.until] : []),
    ...(o.limit !== undefined ? ['--limit', String(o.limit)] : []),
  ];
  io.out(moreHint(rows, o.limit ?? 100, ['switchyard', ...args].join(' ')));
}

function replayCommand(parent: Command, io: Io): void {
  const cmd = parent.command('replay').description("run a run's request again with the flow's current definition")
    .argument('<runId>', 'run id', idArg)
    .option('--from-step <step>', 'start at this step id; the steps before it keep their recorded outputs')
    .option('--from-failed', 'start at the step that failed (the steps before it keep their recorded outputs)')
    .addHelpText('after', '\nExamples:\n  switchyard runs replay 12\n  switchyard runs replay 12 --from-failed\n  switchyard runs replay 12 --from-step notify\n');
  addConnectionOptions(cmd).action(async (runId: number, o: { fromStep?: string; fromFailed?: boolean }, c: Command) => {
    if (o.fromStep !== undefined && o.fromFailed) throw new CliError('give --from-step or --from-failed, not both', 2);
    const { client, json } = connect(c, io.env);
    const body = o.fromStep !== undefined ? { fromStep: o.fromStep } : o.fromFailed ? { fromFailed: true } : {};
    const res = await client.request<{ run?: Run }>('POST', `/api/v1/runs/${runId}/replay`, body);
    if (json) return printJson(res, io.out);
    const id = res.run?.id ?? '?';
    const from = o.fromStep !== undefined ? ` from step ${o.fromStep} (the steps before it keep their recorded outputs)`
      : o.fromFailed ? ' from its failed step (the steps before it keep their recorded outputs)' : '';
    io.out(`replaying run ${runId} as run ${id}${from}; follow it: switchyard runs get ${id}\n`);
  });
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('flows').description('receive webhooks: flows, their catch URLs, captures and runs')
    .addHelpText('after', '\nExamples:\n  switchyard flows create --file flow.json\n  switchyard flows captures 1\n  switchyard flows runs 1 --status failed\n  switchyard runs replay 12 --from-step notify\n');

  addConnectionOptions(group.command('list').description('list flows')).action(async (_o, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ flows?: Flow[] }>('GET', '/api/v1/flows');
    if (json) return printJson(res, io.out);
    const rows = res.flows ?? [];
    if (rows.length === 0) return io.out('no flows yet; create one: switchyard flows create --file flow.json\n');
    printTable(rows.map((f) => ({ ...f, on: yesNo(f.enabled), steps: topLevelSteps(f.definition) })), [
      { key: 'id', header: 'ID' }, { key: 'name', header: 'NAME' }, { key: 'on', header: 'ON' },
      { key: 'steps', header: 'STEPS' }, { key: 'catchUrl', header: 'CATCH URL' },
    ], io.out);
  });

  addConnectionOptions(group.command('get').description('show one flow: its fields and definition').argument('<id>', 'flow id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ flow?: Flow }>('GET', `/api/v1/flows/${id}`);
      if (json) return printJson(res, io.out);
      const f = res.flow ?? { id };
      io.out(formatRecord(flowFields(f)));
      io.out(`\ndefinition:\n${JSON.stringify(f.definition ?? null, null, 2)}\n`);
      io.out(`\nsee what arrived: switchyard flows captures ${f.id}; its runs: switchyard flows runs ${f.id}\n`);
    });

  const create = group.command('create').description('create a flow from a definition file (JSON)')
    .requiredOption('--file <file>', 'the flow definition (JSON); - reads stdin')
    .addHelpText('after', '\nExamples:\n  switchyard flows create --file flow.json\n  cat flow.json | switchyard flows create --file -\n');
  addConnectionOptions(create).action(async (o: { file: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const body = await readDefinition(o.file, io, client);
    const res = await client.request<{ flow?: Flow }>('POST', '/api/v1/flows', body);
    if (json) return printJson(res, io.out);
    afterCreate(res.flow ?? { id: 0 }, 'created', io);
  });

  const update = group.command('update').description("replace a flow's definition with a file's (JSON)")
    .argument('<id>', 'flow id', idArg)
    .requiredOption('--file <file>', 'the whole new flow definition (JSON); - reads stdin')
    .addHelpText('after', '\nExample:\n  switchyard flows export 1 --out flow.json   (edit it, then)   switchyard flows update 1 --file flow.json\n');
  addConnectionOptions(update).action(async (id: number, o: { file: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const body = await readDefinition(o.file, io, client);
    const res = await client.request<{ flow?: Flow }>('PUT', `/api/v1/flows/${id}`, body);
    if (json) return printJson(res, io.out);
    const f = res.flow ?? { id };
    io.out(`updated flow ${id}${f.name ? ` "${f.name}"` : ''}; new requests run the new definition (the catch URL is unchanged)\n`);
    io.out(`run it on a request it already got: switchyard flows captures ${id}, then switchyard flows run-capture ${id} <captureId>\n`);
  });

  addConnectionOptions(group.command('delete').description('delete a flow (its catch URL stops working)').argument('<id>', 'flow id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('DELETE', `/api/v1/flows/${id}`);
      if (json) return printJson(res, io.out);
      io.out(`deleted flow ${id}; its catch URL now answers 404\n`);
    });

  addConnectionOptions(group.command('enable').description('turn a flow on: requests to its catch URL run it').argument('<id>', 'flow id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ flow?: Flow }>('POST', `/api/v1/flows/${id}/enable`);
      if (json) return printJson(res, io.out);
      io.out(`flow ${id} is on; requests to ${res.flow?.catchUrl ?? 'its catch URL'} run it\n`);
    });

  addConnectionOptions(group.command('disable').description('turn a flow off: requests are captured but not run').argument('<id>', 'flow id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request('POST', `/api/v1/flows/${id}/disable`);
      if (json) return printJson(res, io.out);
      io.out(`flow ${id} is off; its catch URL still captures requests (see them: switchyard flows captures ${id}) but runs nothing\n`);
      io.out(`turn it back on: switchyard flows enable ${id}\n`);
    });

  addConnectionOptions(group.command('rotate-key').description('give a flow a new catch URL (the old one stops working)').argument('<id>', 'flow id', idArg))
    .action(async (id: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ flow?: Flow }>('POST', `/api/v1/flows/${id}/rotate-key`);
      if (json) return printJson(res, io.out);
      io.out(`new catch URL of flow ${id}: ${res.flow?.catchUrl ?? '?'}\n`);
      io.err('warning: the old catch URL stops working now (it answers 404); give every sender the new one\n');
    });

  const exp = group.command('export').description("write a flow's definition as JSON (to import elsewhere)")
    .argument('<id>', 'flow id', idArg)
    .option('--out <file>', 'write it to this file (default: stdout)');
  addConnectionOptions(exp).action(async (id: number, o: { out?: string }, cmd: Command) => {
    const { client } = connect(cmd, io.env);
    const def = await client.request<unknown>('GET', `/api/v1/flows/${id}/export`);
    const text = `${JSON.stringify(def, null, 2)}\n`;
    if (o.out === undefined || o.out === '-') return io.out(text);
    try {
      writeFileSync(o.out, text);
    } catch (err) {
      throw new CliError(`cannot write ${o.out}: ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
    io.out(`exported flow ${id} to ${o.out}; import it elsewhere: switchyard flows import --file ${o.out}\n`);
  });

  const imp = group.command('import').description('create a flow from an exported file (it gets a new catch URL)')
    .requiredOption('--file <file>', 'an exported flow (JSON); - reads stdin');
  addConnectionOptions(imp).action(async (o: { file: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const body = await readDefinition(o.file, io, client);
    const res = await client.request<{ flow?: Flow }>('POST', '/api/v1/flows/import', body);
    if (json) return printJson(res, io.out);
    afterCreate(res.flow ?? { id: 0 }, 'imported', io);
  });

  const validate = group.command('validate').description('check a flow definition without saving it (exit 1 when it has problems)')
    .requiredOption('--file <file>', 'the flow definition (JSON); - reads stdin');
  addConnectionOptions(validate).action(async (o: { file: string }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    client.ensureToken();
    const { text, label } = await readText(o.file, io);
    const r = await checkFlow(client, text);
    if (r.valid) return json ? printJson(r.res, io.out) : io.out('valid\n');
    const { problems } = r;
    if (json) printJson({ valid: false, problems }, io.out);
    else for (const p of problems) io.out(`${p}\n`);
    throw new CliError(`${label} is not a valid flow: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, 1);
  });

  const captures = group.command('captures').description("list a flow's captured requests, newest first (Test Trigger)")
    .argument('<id>', 'flow id', idArg)
    .option('--limit <n>', `at most this many (1 to ${MAX_CAPTURES}; default ${MAX_CAPTURES})`, intArg('--limit', 1, MAX_CAPTURES))
    .option('--before-id <id>', 'only captures with a smaller id (the next page)', intArg('--before-id', 1));
  addConnectionOptions(captures).action(async (id: number, o: { limit?: number; beforeId?: number }, cmd: Command) => {
    const { client, json } = connect(cmd, io.env);
    const res = await client.request<{ captures?: Capture[] }>('GET', withQuery(`/api/v1/flows/${id}/captures`, { limit: o.limit, beforeId: o.beforeId }));
    if (json) return printJson(res, io.out);
    const rows = res.captures ?? [];
    if (rows.length === 0) {
      return io.out(o.beforeId !== undefined ? 'no older captures\n'
        : `no captures yet; send a request to the flow's catch URL (see it: switchyard flows get ${id})\n`);
    }
    printTable(rows.map((c) => ({
      ...c, receivedAt: when(c.receivedAt), size: bytes(c.size), bodyLine: bodyCell(c),
    })), [
      { key: 'id', header: 'ID' }, { key: 'receivedAt', header: 'RECEIVED' }, { key: 'method', header: 'METHOD' },
      { key: 'status', header: 'STATUS' }, { key: 'size', header: 'SIZE' }, { key: 'contentType', header: 'CONTENT-TYPE' },
      { key: 'bodyLine', header: 'BODY' },
    ], io.out);
    io.out(moreHint(rows, o.limit ?? MAX_CAPTURES, `switchyard flows captures ${id}${o.limit !== undefined ? ` --limit ${o.limit}` : ''}`));
    io.out(`see one exactly: switchyard flows capture ${id} <captureId>\n`);
  });

  addConnectionOptions(group.command('capture').description('show one captured request exactly: method, path, query, headers, body')
    .argument('<id>', 'flow id', idArg).argument('<captureId>', 'capture id', intArg('captureId', 1)))
    .action(async (id: number, captureId: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ capture?: Capture }>('GET', `/api/v1/flows/${id}/captures/${captureId}`);
      if (json) return printJson(res, io.out);
      const c = res.capture ?? { id: captureId };
      io.out(formatRecord([
        ['capture', c.id], ['flow', c.flowId ?? id], ['status', c.status], ['received', when(c.receivedAt)], ['from', c.remoteAddress],
        ['method', c.method], ['path', c.path], ['query', c.query], ['content type', c.contentType], ['size', bytes(c.size)],
      ]));
      const headers = c.headers ?? [];
      io.out(`\nheaders (${headers.length}, as received):\n`);
      for (const h of headers) io.out(`  ${h.name}: ${h.value}\n`);
      if ((c.size ?? 0) === 0 && !c.body && !c.bodyBase64) {
        io.out('\nbody: (empty)\n');
      } else if (c.body === null || c.body === undefined) {
        io.out(`\nbody (binary: not UTF-8 text, so shown as base64; decode with: base64 -d):\n${c.bodyBase64 ?? ''}\n`);
      } else {
        io.out(`\nbody:\n${c.body}${c.body.endsWith('\n') ? '' : '\n'}`);
      }
      io.out(`\nmake it the flow's sample: switchyard flows sample ${id} ${c.id}; run the flow on it: switchyard flows run-capture ${id} ${c.id}\n`);
    });

  addConnectionOptions(group.command('sample').description("make a capture the flow's sample request (what the editor and tests use)")
    .argument('<id>', 'flow id', idArg).argument('<captureId>', 'capture id', intArg('captureId', 1)))
    .action(async (id: number, captureId: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ flow?: Flow }>('POST', `/api/v1/flows/${id}/sample`, { captureId });
      if (json) return printJson(res, io.out);
      io.out(`capture ${captureId} is now the sample of flow ${id}; run the flow on it: switchyard flows run-capture ${id} ${captureId}\n`);
    });

  addConnectionOptions(group.command('run-capture').description("run the flow's current definition on a captured request")
    .argument('<id>', 'flow id', idArg).argument('<captureId>', 'capture id', intArg('captureId', 1)))
    .action(async (id: number, captureId: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ run?: Run }>('POST', `/api/v1/flows/${id}/captures/${captureId}/run`);
      if (json) return printJson(res, io.out);
      const runId = res.run?.id ?? '?';
      io.out(`started run ${runId} of flow ${id} on capture ${captureId}; follow it: switchyard runs get ${runId}\n`);
    });

  const flowRuns = runFilterOptions(group.command('runs').description("list a flow's runs, newest first").argument('<id>', 'flow id', idArg))
    .addHelpText('after', '\nExample:\n  switchyard flows runs 1 --status failed --since 1d\n');
  addConnectionOptions(flowRuns).action(async (id: number, o: RunFilters, cmd: Command) => {
    await listRuns(`/api/v1/flows/${id}/runs`, o, ['flows', 'runs', String(id)], cmd, io);
  });

  replayCommand(group, io);

  registerRuns(program, io);
}

function registerRuns(program: Command, io: Io): void {
  const group = program.command('runs').description('runs of flows: list, inspect step by step, replay');

  const list = runFilterOptions(group.command('list').description('list runs of every flow (or one), newest first')
    .option('--flow <id>', 'only runs of this flow', intArg('--flow', 1)))
    .addHelpText('after', '\nExample:\n  switchyard runs list --flow 1 --status failed --since 2h\n');
  addConnectionOptions(list).action(async (o: RunFilters & { flow?: number }, cmd: Command) => {
    await listRuns('/api/v1/runs', o, ['runs', 'list'], cmd, io);
  });

  addConnectionOptions(group.command('get').description('show a run and each of its steps: status, input, output, error')
    .argument('<runId>', 'run id', idArg))
    .action(async (runId: number, _o, cmd: Command) => {
      const { client, json } = connect(cmd, io.env);
      const res = await client.request<{ run?: Run }>('GET', `/api/v1/runs/${runId}`);
      if (json) return printJson(res, io.out);
      const r = res.run ?? { id: runId };
      io.out(formatRecord([
        ['id', r.id], ['flow', r.flowId], ['capture', r.captureId], ['origin', r.origin], ['replay of', r.replayOf],
        ['status', r.status], ['error', r.error], ['created', when(r.createdAt)], ['started', when(r.startedAt)],
        ['finished', when(r.finishedAt)], ['duration', runDuration(r)], ['next attempt', when(r.nextAttemptAt)],
      ]));
      const steps = r.steps ?? [];
      if (steps.length === 0) {
        io.out('\nno steps ran yet\n');
      } else {
        io.out('\n');
        printTable(steps.map((s) => ({ ...s, took: stepDuration(s) })), [
          { key: 'stepId', header: 'STEP' }, { key: 'type', header: 'TYPE' }, { key: 'status', header: 'STATUS' },
          { key: 'attempts', header: 'ATTEMPTS' }, { key: 'took', header: 'DURATION' },
        ], io.out);
        for (const s of steps) {
          io.out(`\nstep ${s.stepId}${s.type ? ` (${s.type})` : ''}: ${s.status ?? '?'}\n`);
          io.out(`  input:  ${compactJson(s.input)}\n`);
          io.out(`  output: ${compactJson(s.output)}\n`);
          if (s.error) io.out(`  error:  ${s.error}\n`);
        }
      }
      const failed = steps.find((s) => s.status === 'failed');
      if (r.status === 'failed' || r.status === 'stopped' || r.status === 'succeeded') {
        io.out(failed
          ? `\nafter fixing it, replay from the failed step: switchyard runs replay ${r.id} --from-failed\n`
          : `\nreplay it: switchyard runs replay ${r.id}\n`);
      }
    });

  replayCommand(group, io);
}
