/**
 * Spec §7 case 4 (`TestWebhookScanLogs`) and case 14 (`test_log_pattern_webhook_cache_when_url_is_updated`):
 * which TASK_LOG webhooks fire for which task, at most once per (task, trigger), live and after a restart.
 *
 * Translation: Determined's "scope 0" task without experiment = a task with no workspaceId; "scope W" = a task
 * with workspaceId W; an experiment config at scope W = a trial of an experiment in workspace W. Switchyard
 * experiments always live in a workspace, so "exp config at scope 0" is a trial of an experiment in the default
 * workspace (id 1), which is not W — the same outcome for every webhook of the matrix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { drained, startSink, startTestServer, type Sink, type TestServer } from '../helpers/harness.js';
import { countByPath, countSince, createExperiment, createHook, createWorkspace, deleteHook, postLogs, type LogLine } from './helpers.js';

const PATHS = ['/w0', '/w1', '/w2', '/w3', '/w4', '/w5'];

interface Fixture { r0: string; r1: string; r2: string; ws: { id: number; name: string }; ids: Record<string, number> }

async function setUp(s: TestServer, sink: Sink): Promise<Fixture> {
  const [r0, r1, r2] = [randomUUID(), randomUUID(), randomUUID()];
  const ws = await createWorkspace(s, 'W');
  const ids: Record<string, number> = {};
  const add = async (k: string, h: Parameters<typeof createHook>[1]) => { ids[k] = (await createHook(s, h)).id; };
  await add('w0', { url: `${sink.url}/w0`, triggers: [{ regex: r0 }] });
  await add('w1', { url: `${sink.url}/w1`, triggers: [{ regex: r0 }, { regex: r1 }] });
  await add('w2', { url: `${sink.url}/w2`, triggers: [{ regex: r2 }] });
  await add('w3', { url: `${sink.url}/w3`, name: 'name1', mode: 'SPECIFIC', triggers: [{ regex: r2 }] });
  await add('w4', { url: `${sink.url}/w4`, name: 'name2', mode: 'SPECIFIC', workspaceId: ws.id, triggers: [{ regex: r2 }] });
  await add('w5', { url: `${sink.url}/w5`, workspaceId: ws.id, triggers: [{ regex: r2 }] });
  return { r0, r1, r2, ws, ids };
}

/** Posts the lines of one new task and returns how many requests each webhook received for them. */
async function scan(s: TestServer, sink: Sink, lines: string[], task: Omit<LogLine, 'log' | 'taskId'> = {}): Promise<Record<string, number>> {
  const before = countByPath(sink, PATHS);
  const taskId = `task-${randomUUID()}`;
  await postLogs(s, lines.map((log) => ({ taskId, log, ...task })));
  await drained(s);
  const c = countSince(sink, before);
  return { w0: c['/w0']!, w1: c['/w1']!, w2: c['/w2']!, w3: c['/w3']!, w4: c['/w4']!, w5: c['/w5']! };
}

const counts = (...n: number[]) => Object.fromEntries(n.map((v, i) => [`w${i}`, v]));

async function runMatrix(s: TestServer, sink: Sink, f: Fixture): Promise<void> {
  const { r0, r1, r2, ws } = f;
  const all = [r0, r0, r1, r2];
  // scope 0, no experiment: two r0 lines make one event per trigger; SPECIFIC and workspace-W webhooks stay silent
  assert.deepEqual(await scan(s, sink, all, { taskType: 'COMMAND' }), counts(1, 2, 1, 0, 0, 0));
  // scope W, no experiment: additionally the WORKSPACE webhook of W
  assert.deepEqual(await scan(s, sink, all, { taskType: 'COMMAND', workspaceId: ws.id }), counts(1, 2, 1, 0, 0, 1));

  const named = { webhookName: ['name1', 'name2'] };
  const exp0 = await createExperiment(s, { name: 'scan-scope-0', ...named });
  const expW = await createExperiment(s, { name: 'scan-scope-w', workspace: ws.name, ...named });
  // experiment config naming name1 and name2, logs [r2, r2]
  assert.deepEqual(await scan(s, sink, [r2, r2], { experimentId: exp0.id, trialId: 1 }), counts(0, 0, 1, 1, 0, 0));
  assert.deepEqual(await scan(s, sink, [r2, r2], { experimentId: expW.id, trialId: 2 }), counts(0, 0, 1, 1, 1, 1));

  // exclude: true silences everything, whatever the config names
  const excl0 = await createExperiment(s, { name: 'scan-excluded-0', ...named, exclude: true });
  const exclW = await createExperiment(s, { name: 'scan-excluded-w', workspace: ws.name, ...named, exclude: true });
  assert.deepEqual(await scan(s, sink, [...all, r2], { experimentId: excl0.id, trialId: 3 }), counts(0, 0, 0, 0, 0, 0));
  assert.deepEqual(await scan(s, sink, [...all, r2], { experimentId: exclW.id, trialId: 4 }), counts(0, 0, 0, 0, 0, 0));

  // a line that merely echoes the experiment config is never scanned
  assert.deepEqual(await scan(s, sink, [`{"log_policies": [], "regex": "${r0}"}`], { taskType: 'COMMAND' }), counts(0, 0, 0, 0, 0, 0));

  // after deleting w1
  await deleteHook(s, f.ids.w1!);
  assert.deepEqual(await scan(s, sink, all, { taskType: 'COMMAND' }), counts(1, 0, 1, 0, 0, 0));
}

test('case 4: TestWebhookScanLogs matrix, live', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const f = await setUp(s, sink);
    await runMatrix(s, sink, f);
    // a log without its agent (node) is refused, and fires nothing (Determined: "AgentID must be non nil")
    const total = sink.requests.length;
    const noAgent = await s.api('POST', '/api/v1/task/logs', { logs: [{ taskId: 'no-agent', log: f.r0 }] });
    assert.equal(noAgent.status, 400);
    await drained(s);
    assert.equal(sink.requests.length, total);
    // every request is a DEFAULT TASK_LOG event naming its regex
    for (const r of sink.requests) assert.match(r.text, /^\{"event_id":"[0-9a-f-]{36}","event_type":"TASK_LOG",/);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 4: TestWebhookScanLogs matrix, after restarting on the same data dir; dedup survives the restart', async () => {
  const sink = await startSink();
  let s = await startTestServer();
  try {
    const f = await setUp(s, sink);
    // one task: r0 fires w0 and w1's r0 trigger, once, across requests
    const before = countByPath(sink, PATHS);
    await postLogs(s, [{ taskId: 'persist-task', log: f.r0 }]);
    await postLogs(s, [{ taskId: 'persist-task', log: f.r0 }]);
    await drained(s);
    assert.deepEqual(countSince(sink, before), { '/w0': 1, '/w1': 1, '/w2': 0, '/w3': 0, '/w4': 0, '/w5': 0 });

    s = await s.restart();
    // the same task after the restart: r0 already fired both triggers; only w1's r1 trigger is new
    const mid = countByPath(sink, PATHS);
    await postLogs(s, [{ taskId: 'persist-task', log: f.r0 }, { taskId: 'persist-task', log: f.r1 }]);
    await drained(s);
    assert.deepEqual(countSince(sink, mid), { '/w0': 0, '/w1': 1, '/w2': 0, '/w3': 0, '/w4': 0, '/w5': 0 });

    await runMatrix(s, sink, f);
  } finally {
    await s.stop();
    await sink.close();
  }
});

test('case 14: after a PATCH of the url, TASK_LOG deliveries go only to the new URL', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const regex = 'executing.*action.*exit.*code.*7';
    const line = 'executing action: exit code 7';
    const w = await createHook(s, { url: `${sink.url}/old`, triggers: [{ regex }] });
    await postLogs(s, [{ taskId: 'cache-1', log: line }]);
    await drained(s);
    assert.deepEqual(countByPath(sink, ['/old', '/new']), { '/old': 1, '/new': 0 });

    const r = await s.api('PATCH', `/api/v1/webhooks/${w.id}`, { url: `${sink.url}/new` });
    assert.equal(r.status, 200, r.text);
    await postLogs(s, [{ taskId: 'cache-2', log: line }, { taskId: 'cache-3', log: `again: ${line}` }]);
    await drained(s);
    assert.deepEqual(countByPath(sink, ['/old', '/new']), { '/old': 1, '/new': 2 });
    for (const req of sink.byPath('/new')) assert.match(req.text, /"event_type":"TASK_LOG"/);
    // the first task already fired this trigger: the new URL does not get it again
    await postLogs(s, [{ taskId: 'cache-1', log: line }]);
    await drained(s);
    assert.equal(sink.requests.length, 3);
  } finally {
    await s.stop();
    await sink.close();
  }
});
