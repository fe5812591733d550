import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JSON_CONTENT_TYPE,
  experimentDurationSeconds,
  renderExperimentEvent,
  renderTaskLogEvent,
  renderTestEvent,
  slackDuration,
} from './index.js';
import { signDetermined } from '../signing/determined.js';
import type { ExperimentSnapshot, TaskLogFacts } from '../types.js';
import { loadVectors } from '../../../test/helpers/vectors.js';

const T0 = 1_700_000_000_000;
const EID = '0b9c3a2e-1f4d-4c1a-9e5b-7d2f8a6c4e10';

function exp(over: Partial<ExperimentSnapshot> = {}): ExperimentSnapshot {
  return {
    id: 5, state: 'COMPLETED', name: 'noop', resourcePool: 'default', slotsPerTrial: 1, workspace: '', project: '',
    workspaceId: 1, projectId: 1, startTimeMs: T0, endTimeMs: T0, ...over,
  };
}
const base = { eventId: EID, timestampSec: 1700000000, trialId: null as number | null, custom: null, baseUrl: '', nowMs: T0 };
const slack = (e: ExperimentSnapshot, over: Partial<typeof base> = {}) =>
  renderExperimentEvent({ ...base, ...over, webhookType: 'SLACK', triggerType: 'EXPERIMENT_STATE_CHANGE', experiment: e });
/** Parsed Slack body: blocks[0] text, the attachment colour, headline and field texts. */
function slackParts(body: string) {
  const m = JSON.parse(body) as {
    blocks: { text: { type: string; text: string }; fields?: { text: string }[] }[];
    attachments: { color: string; blocks: { text: { text: string }; fields: { type: string; text: string }[] }[] }[];
  };
  const a = m.attachments[0]!;
  const b = a.blocks[0]!;
  return { top: m.blocks[0]!, color: a.color, headline: b.text.text, fields: b.fields.map((f) => f.text) };
}

test('render vector: DEFAULT ERROR state change of a trial, byte for byte', () => {
  for (const v of loadVectors().render) {
    const x = v.input.experiment;
    const r = renderExperimentEvent({
      ...base, webhookType: 'DEFAULT', triggerType: 'EXPERIMENT_STATE_CHANGE', eventId: v.input.event_id,
      timestampSec: v.input.timestamp, trialId: x.trial_id ?? null,
      experiment: exp({
        id: x.id, state: x.state, name: x.name, resourcePool: x.resource_pool, slotsPerTrial: x.slots_per_trial,
        workspace: x.workspace, project: x.project, startTimeMs: T0, endTimeMs: T0 + x.duration * 1000 + 999,
      }),
    });
    assert.equal(r.body, v.expected_body);
    assert.deepEqual([r.signed, r.contentType], [true, JSON_CONTENT_TYPE]);
    // The same bytes are the third Determined signature vector.
    const sv = loadVectors().determined.find((d) => d.body === r.body);
    assert.ok(sv, 'a signature vector signs the rendered body');
    assert.equal(signDetermined(sv.key, sv.timestamp, r.body), sv.signature);
  }
});

test('§3.2 DEFAULT state change example (= the second signature vector body)', () => {
  const r = renderExperimentEvent({
    ...base, webhookType: 'DEFAULT', triggerType: 'EXPERIMENT_STATE_CHANGE', eventId: '4cd26e62-60c6-4a8b-8d03-7629091a4ef5',
    timestampSec: 1665689991,
    experiment: exp({ id: 41, name: 'cifar10_pytorch_const', slotsPerTrial: 2, workspace: 'test workspace',
      project: 'test project', endTimeMs: T0 + 41_500 }),
  });
  assert.equal(r.body, loadVectors().determined[1]!.body);
});

test('§3.2 DEFAULT CUSTOM example with trial_id; condition.state = current state; duration 0 while running', () => {
  const r = renderExperimentEvent({
    ...base, webhookType: 'DEFAULT', triggerType: 'CUSTOM', trialId: 34,
    custom: { title: 'end of main', description: '', level: 'DEBUG' },
    experiment: exp({ id: 12, state: 'ACTIVE', name: 'exp', endTimeMs: null }), nowMs: T0 + 3_600_000,
  });
  assert.equal(r.body, `{"event_id":"${EID}","event_type":"CUSTOM","timestamp":1700000000,"condition":{"state":"ACTIVE"},"event_data":{"experiment":{"id":12,"state":"ACTIVE","name":"exp","duration":0,"resource_pool":"default","slots_per_trial":1,"workspace":"","project":"","trial_id":34},"custom_data":{"title":"end of main","description":"","level":"DEBUG"}}}`);
});

test('DEFAULT: trial_id omitted for null, 0 and negatives; empty state drops condition.state', () => {
  for (const trialId of [null, 0, -1]) {
    const r = renderExperimentEvent({ ...base, webhookType: 'DEFAULT', triggerType: 'EXPERIMENT_STATE_CHANGE', trialId, experiment: exp() });
    assert.ok(!r.body.includes('trial_id'));
  }
  const r = renderExperimentEvent({ ...base, webhookType: 'DEFAULT', triggerType: 'EXPERIMENT_STATE_CHANGE', experiment: exp({ state: '' }) });
  assert.ok(r.body.includes('"condition":{},'));
});

test('§3.2 DEFAULT TEST body, signed JSON', () => {
  const r = renderTestEvent({ webhookType: 'DEFAULT', eventId: EID, timestampSec: 1700000000 });
  assert.equal(r.body, `{"event_id":"${EID}","event_type":"EXPERIMENT_STATE_CHANGE","timestamp":1700000000,"condition":{"state":"COMPLETED"},"event_data":{"data":"test"}}`);
  assert.deepEqual([r.signed, r.contentType], [true, JSON_CONTENT_TYPE]);
});

const trialTask: TaskLogFacts = { taskId: '5.1a2b', taskType: 'TRIAL', nodeName: 'nodeA', log: 'trigA <exit code 7>', experimentId: 5, trialId: 9 };
const notebookTask: TaskLogFacts = { taskId: 'nb-1', taskType: 'NOTEBOOK', nodeName: 'nodeA', log: 'trigA', experimentId: null, trialId: null };
const REGEX = 'executing.*action.*exit.*code.*7';

test('§3.2 DEFAULT TASK_LOG body', () => {
  const r = renderTaskLogEvent({ webhookType: 'DEFAULT', eventId: EID, timestampSec: 1700000000, regex: REGEX, task: trialTask, baseUrl: 'http://x' });
  assert.equal(r.body, `{"event_id":"${EID}","event_type":"TASK_LOG","timestamp":1700000000,"condition":{"regex":"${REGEX}"},"event_data":{"task_log":{"task_id":"5.1a2b","node_name":"nodeA","triggering_log":"trigA \\u003cexit code 7\\u003e"}}}`);
  assert.deepEqual([r.signed, r.contentType], [true, JSON_CONTENT_TYPE]);
});

test('Slack COMPLETED without base URL: the e2e acceptance message, byte for byte', () => {
  const r = slack(exp());
  assert.equal(r.body, '{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Your experiment completed successfully 🎉"}}],"attachments":[{"color":"#13B670","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"✅ noop (#5)"},"fields":[{"type":"mrkdwn","text":"*Status*: Completed"},{"type":"mrkdwn","text":"*Duration*: 0h 0min"}]}]}]}');
  assert.deepEqual([r.signed, r.contentType], [true, JSON_CONTENT_TYPE]); // queued Slack events are signed too
});

test('Slack COMPLETED with base URL (trailing slash stripped), workspace and project links', () => {
  const e = exp({ workspace: 'vision', project: 'detector', workspaceId: 3, projectId: 4, endTimeMs: T0 + 3725_000 });
  const r = slack(e, { baseUrl: 'https://det.example.com/' });
  assert.ok(r.body.includes('"text":"✅ \\u003chttps://det.example.com/det/experiments/5/overview | noop (#5)\\u003e"'));
  const p = slackParts(r.body);
  assert.equal(p.headline, '✅ <https://det.example.com/det/experiments/5/overview | noop (#5)>');
  assert.deepEqual(p.fields, [
    '*Status*: Completed', '*Duration*: 1h 2min',
    '*Workspace*: <https://det.example.com/det/workspaces/3/projects | vision>',
    '*Project*: <https://det.example.com/det/projects/4 | detector>',
  ]);
});

test('Slack workspace/project: plain without base URL, plain when unresolved, omitted when empty', () => {
  const named = exp({ workspace: 'vision', project: 'detector', workspaceId: 3, projectId: 4 });
  assert.deepEqual(slackParts(slack(named).body).fields.slice(2), ['*Workspace*: vision', '*Project*: detector']);
  const unresolved = exp({ workspace: 'vision', project: 'detector', workspaceId: 0, projectId: 0 });
  assert.deepEqual(slackParts(slack(unresolved, { baseUrl: 'http://h' }).body).fields.slice(2), ['*Workspace*: vision', '*Project*: detector']);
  // Determined resolves ids only when both names are set: a lone workspace name stays plain.
  const lone = exp({ workspace: 'vision', project: '', workspaceId: 3 });
  assert.deepEqual(slackParts(slack(lone, { baseUrl: 'http://h' }).body).fields.slice(2), ['*Workspace*: vision']);
  assert.deepEqual(slackParts(slack(exp({ project: 'p' })).body).fields.slice(2), ['*Project*: p']);
});

test('Slack ERROR with and without base URL, with trial id', () => {
  const e = exp({ id: 7, state: 'ERROR', name: 'a<b>' });
  const p = slackParts(slack(e, { trialId: 19 }).body);
  assert.equal(p.top.text.text, 'Your experiment has stopped with errors');
  assert.equal(p.color, '#DD5040');
  assert.equal(p.headline, '❌ a<b> (#7)');
  assert.deepEqual(p.fields, ['*Status*: Errored', '*Duration*: 0h 0min', '*Trial ID*: 19']);
  assert.equal(slackParts(slack(e, { baseUrl: 'http://h' }).body).headline, '❌ <http://h/det/experiments/7/overview | a<b> (#7)>');
  assert.ok(slack(e).body.includes('❌ a\\u003cb\\u003e (#7)'));
});

test('Slack other state: raw state, #009bde, no emoji; duration runs to now while not ended', () => {
  const e = exp({ state: 'STOPPING_CANCELED', endTimeMs: null });
  const p = slackParts(slack(e, { nowMs: T0 + 2 * 3_600_000 + 5 * 60_000 + 59_999 }).body);
  assert.equal(p.top.text.text, 'The status of your experiment is STOPPING_CANCELED');
  assert.equal(p.color, '#009bde');
  assert.equal(p.headline, 'noop (#5)');
  assert.deepEqual(p.fields, ['*Status*: STOPPING_CANCELED', '*Duration*: 2h 5min']);
  assert.equal(slackParts(slack(e, { baseUrl: 'http://h' }).body).headline, '<http://h/det/experiments/5/overview | noop (#5)>');
});

test('Slack CUSTOM: the top block becomes "Event Data" with Level/Title/Description fields (Determined generateSlackPayload)', () => {
  const r = renderExperimentEvent({
    ...base, webhookType: 'SLACK', triggerType: 'CUSTOM', trialId: 34, experiment: exp({ state: 'ACTIVE', endTimeMs: null }),
    custom: { title: 'end of main', description: 'd & more', level: 'DEBUG' },
  });
  const p = slackParts(r.body);
  assert.equal(p.top.text.type, 'plain_text');
  assert.equal(p.top.text.text, 'Event Data');
  assert.deepEqual(p.top.fields?.map((f) => f.text), ['*Level*: DEBUG', '*Title*: end of main', '*Description*: d & more']);
  assert.deepEqual(p.fields, ['*Status*: ACTIVE', '*Duration*: 0h 0min', '*Trial ID*: 34']);
  assert.ok(r.body.startsWith('{"blocks":[{"type":"section","text":{"type":"plain_text","text":"Event Data"},"fields":[{"type":"mrkdwn","text":"*Level*: DEBUG"},'));
});

const taskLogText = (task: TaskLogFacts, baseUrl: string) =>
  (JSON.parse(renderTaskLogEvent({ webhookType: 'SLACK', eventId: EID, timestampSec: 1, regex: REGEX, task, baseUrl }).body) as {
    blocks: [{ type: string; text: { type: string; text: string } }];
  }).blocks;

test('Slack TASK_LOG: trial task with and without base URL', () => {
  const head = 'Experiment ID `5`, Trial ID `9`, running on node `nodeA`, reported a log\n```trigA <exit code 7>```\nThis log matched the regex\n```executing.*action.*exit.*code.*7```\n';
  assert.deepEqual(taskLogText(trialTask, 'http://determined.ai'), [
    { type: 'section', text: { type: 'mrkdwn', text: head + '<http://determined.ai/det/experiments/5/trials/9/logs | View full logs here>' } },
  ]);
  assert.equal(taskLogText(trialTask, '')[0].text.text, head + 'View full logs at /det/experiments/5/trials/9/logs');
  const r = renderTaskLogEvent({ webhookType: 'SLACK', eventId: EID, timestampSec: 1, regex: REGEX, task: trialTask, baseUrl: 'http://determined.ai/' });
  assert.ok(r.body.endsWith('\\u003chttp://determined.ai/det/experiments/5/trials/9/logs | View full logs here\\u003e"}}]}'));
  assert.deepEqual([r.signed, r.contentType], [true, JSON_CONTENT_TYPE]);
});

test('Slack TASK_LOG: non-trial (notebook) task, no link even with a base URL', () => {
  const text = 'Task ID `nb-1`, task type `NOTEBOOK`, running on node `nodeA`, reported a log\n```trigA```\nThis log matched the regex\n```executing.*action.*exit.*code.*7```\n';
  assert.equal(taskLogText(notebookTask, 'http://determined.ai')[0].text.text, text);
  assert.equal(taskLogText(notebookTask, '')[0].text.text, text);
});

test('Slack TEST: fixed body, unsigned, no Content-Type', () => {
  assert.deepEqual(renderTestEvent({ webhookType: 'SLACK', eventId: EID, timestampSec: 1 }), {
    body: '{"blocks":[{"type":"section","text":{"type":"plain_text","text":"test"}}]}', signed: false, contentType: null,
  });
});

test('duration formatting (Go Hours + math.Modf + %v)', () => {
  const at = (sec: number) => slackDuration(T0, T0 + sec * 1000);
  assert.equal(at(3725), '1h 2min');
  assert.equal(at(0), '0h 0min');
  assert.equal(at(59), '0h 0min');
  assert.equal(at(120), '0h 2min');
  assert.equal(at(3599.999), '0h 59min');
  assert.equal(at(7200), '2h 0min');
  assert.equal(at(100 * 3600 + 59 * 60 + 59), '100h 59min');
  assert.equal(at(999_999 * 3600), '999999h 0min');
  assert.equal(at(1_000_000 * 3600), '1e+06h 0min'); // %v switches to exponent form at 1e6
  assert.equal(at(1_234_567 * 3600 + 150), '1.234567e+06h 2min');
  // Same float64 steps as Go, so the same precision loss: 1/60 h added to 1234567 h comes back as 0.99999… min.
  assert.equal(at(1_234_567 * 3600 + 60), '1.234567e+06h 0min');
  assert.equal(at(-1800), '-0h -30min'); // clock skew: Modf keeps the sign, like Go
});

test('experimentDurationSeconds: Go int((End-Start).Seconds())', () => {
  assert.equal(experimentDurationSeconds(T0, null), 0);
  assert.equal(experimentDurationSeconds(T0, T0 + 41_999), 41);
  assert.equal(experimentDurationSeconds(T0, T0 + 3_725_000), 3725);
  assert.equal(experimentDurationSeconds(T0, T0 - 1_500), -1); // truncation toward zero
  assert.ok(Object.is(experimentDurationSeconds(T0, T0 - 999), 0));
});
