/**
 * Spec §7 case 5 (`TestGenerateTaskLogPayload`): TASK_LOG bodies, DEFAULT and SLACK × base URL set or not × trial or
 * notebook task, compared byte for byte with what Determined's Go code writes (§3.2, §3.3).
 *
 * Translation: Determined calls generateTaskLogPayload(task, "nodeA", "regexa", "trigA") directly; here the line must
 * really match the trigger, so the regex is `regexa` and the triggering log line `trigA regexa`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drained, startSink, startTestServer, type Sink, type SinkRequest } from '../helpers/harness.js';
import { assertSigned, createExperiment, createHook, envelopeOf, nowSec, postLogs } from './helpers.js';

const REGEX = 'regexa';
const LOG = 'trigA regexa';
const TRIAL_ID = 34;

function expectedDefault(r: SinkRequest, taskId: string, t0: number, regex = REGEX, logJson = LOG): string {
  const { eventId, ts } = envelopeOf(r, 'TASK_LOG', t0);
  return `{"event_id":"${eventId}","event_type":"TASK_LOG","timestamp":${ts},"condition":{"regex":"${regex}"},`
    + `"event_data":{"task_log":{"task_id":"${taskId}","node_name":"nodeA","triggering_log":"${logJson}"}}}`;
}

/** The Slack text of §3.3 as it appears inside Go-encoded JSON (newlines as \n, `<` `>` as \u003c \u003e). */
function expectedSlackTrial(expId: number, baseUrl: string): string {
  const path = `/det/experiments/${expId}/trials/${TRIAL_ID}/logs`;
  const link = baseUrl !== '' ? `\\u003c${baseUrl}${path} | View full logs here\\u003e` : `View full logs at ${path}`;
  return '{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"'
    + 'Experiment ID `' + expId + '`, Trial ID `' + TRIAL_ID + '`, running on node `nodeA`, reported a log\\n'
    + '```' + LOG + '```\\nThis log matched the regex\\n```' + REGEX + '```\\n' + link + '"}}]}';
}

function expectedSlackNotebook(taskId: string): string {
  return '{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"'
    + 'Task ID `' + taskId + '`, task type `NOTEBOOK`, running on node `nodeA`, reported a log\\n'
    + '```' + LOG + '```\\nThis log matched the regex\\n```' + REGEX + '```\\n"}}]}';
}

function only(sink: Sink, path: string, taskId: string): SinkRequest {
  const rs = sink.byPath(path).filter((r) => r.text.includes(taskId));
  assert.equal(rs.length, 1, `${path} got ${rs.length} requests for ${taskId}`);
  return rs[0]!;
}

for (const baseUrl of ['http://determined.ai', '']) {
  test(`case 5: TASK_LOG payloads, DEFAULT and SLACK, trial and notebook, base URL ${baseUrl === '' ? 'unset' : 'set'}`, async () => {
    const sink = await startSink();
    const s = await startTestServer(baseUrl === '' ? {} : { env: { DET_WEBHOOKS_BASE_URL: baseUrl } });
    try {
      await createHook(s, { url: `${sink.url}/default`, type: 'DEFAULT', triggers: [{ regex: REGEX }] });
      await createHook(s, { url: `${sink.url}/slack`, type: 'SLACK', triggers: [{ regex: REGEX }] });
      const exp = await createExperiment(s, { name: 'task-log-exp' });
      const trialTask = `${exp.id}.${TRIAL_ID}`;
      const notebookTask = 'notebook-6f1c2a';
      const t0 = nowSec();
      await postLogs(s, [
        { taskId: trialTask, agentId: 'nodeA', log: LOG, experimentId: exp.id, trialId: TRIAL_ID },
        { taskId: notebookTask, agentId: 'nodeA', log: LOG, taskType: 'NOTEBOOK' },
        { taskId: notebookTask, agentId: 'nodeA', log: 'no match here' },
      ]);
      await drained(s);
      assert.equal(sink.requests.length, 4);

      for (const task of [trialTask, notebookTask]) {
        const r = only(sink, '/default', task);
        assertSigned(r);
        assert.equal(r.text, expectedDefault(r, task, t0));
      }
      const slackTrial = only(sink, '/slack', `Experiment ID \`${exp.id}\``);
      assertSigned(slackTrial); // queued Slack events are signed too (§4.1)
      assert.equal(slackTrial.text, expectedSlackTrial(exp.id, baseUrl));
      const slackNotebook = only(sink, '/slack', `Task ID \`${notebookTask}\``);
      assertSigned(slackNotebook);
      assert.equal(slackNotebook.text, expectedSlackNotebook(notebookTask));
      // the raw bytes are UTF-8 of that text, nothing more
      assert.deepEqual(slackNotebook.body, Buffer.from(expectedSlackNotebook(notebookTask), 'utf8'));
    } finally {
      await s.stop();
      await sink.close();
    }
  });
}

test('case 5 (encoding): Go escaping of <, >, &, U+2028 and raw UTF-8 in TASK_LOG bodies', async () => {
  const sink = await startSink();
  const s = await startTestServer();
  try {
    const regex = 'err<(\\d+)>';
    await createHook(s, { url: `${sink.url}/default`, type: 'DEFAULT', triggers: [{ regex }] });
    await createHook(s, { url: `${sink.url}/slack`, type: 'SLACK', triggers: [{ regex }] });
    const line = 'é err<42> & "quoted"\u2028done';
    const t0 = nowSec();
    await postLogs(s, [{ taskId: 'cmd-1', agentId: 'nodeA', log: line, taskType: 'command' }]);
    await drained(s);
    assert.equal(sink.requests.length, 2);
    const d = sink.byPath('/default')[0]!;
    assert.equal(d.text, expectedDefault(d, 'cmd-1', t0, 'err\\u003c(\\\\d+)\\u003e', 'é err\\u003c42\\u003e \\u0026 \\"quoted\\"\\u2028done'));
    assertSigned(d);
    const sl = sink.byPath('/slack')[0]!;
    assert.equal(sl.text, '{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"'
      + 'Task ID `cmd-1`, task type `COMMAND`, running on node `nodeA`, reported a log\\n'
      + '```é err\\u003c42\\u003e \\u0026 \\"quoted\\"\\u2028done```\\nThis log matched the regex\\n```err\\u003c(\\\\d+)\\u003e```\\n"}}]}');
    assertSigned(sl);
  } finally {
    await s.stop();
    await sink.close();
  }
});
