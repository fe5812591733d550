import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONDITION_OPS } from './conditions.js';
import { CONTROL_TYPES, flattenSteps, isActionStep, isFilterStep, isPathsStep, parseFlowDefinition } from './definition.js';
import type { FlowDefinition, Step } from './definition.js';

const seedFlow = {
  name: 'Determined → email',
  steps: [
    { id: 'verify', type: 'verify_signature', config: { preset: 'determined' }, retry: { attempts: 2 } },
    { id: 'legit', type: 'filter', when: { left: 'steps.verify.result', op: 'equals', right: 'PASS' } },
    {
      id: 'route', type: 'paths', paths: [
        { name: 'errors', when: { all: [{ left: 'steps.verify.payload.event_data.experiment.state', op: 'equals', right: 'ERROR' }] },
          steps: [{ id: 'alert', type: 'raise_alert', config: { name: 'failed' } }] },
        { name: 'others', fallback: true, steps: [{ id: 'mail', type: 'send_email', name: 'Email the team' }] },
      ],
    },
  ],
  response: { status: 202, headers: { 'Content-Type': 'text/plain' }, body: 'ok' },
  dedup: { key: '{{capture.json.event_id}}', windowSeconds: 86400 },
  rateLimit: { perSecond: 30, burst: 60 },
};

function problems(def: unknown): string[] {
  const r = parseFlowDefinition(def);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

function nest(depth: number, leaf: Step[]): Step[] {
  let steps = leaf;
  for (let d = depth; d >= 1; d--) steps = [{ id: `p${d}`, type: 'paths', paths: [{ name: `n${d}`, fallback: true, steps }] }];
  return steps;
}

test('the seed flow parses, with defaults and typed control steps', () => {
  const r = parseFlowDefinition(seedFlow);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  const def: FlowDefinition = r.definition;
  assert.equal(def.enabled, true);
  assert.deepEqual(CONTROL_TYPES, ['filter', 'paths']);
  const [verify, legit, route] = def.steps;
  assert.ok(verify && isActionStep(verify) && !isFilterStep(verify));
  assert.ok(legit && isFilterStep(legit));
  assert.ok(route && isPathsStep(route));
  assert.equal(route.paths[1]?.fallback, true);
  assert.deepEqual(flattenSteps(def.steps).map((l) => [l.step.id, l.path, l.depth]), [
    ['verify', 'steps[0]', 0], ['legit', 'steps[1]', 0], ['route', 'steps[2]', 0],
    ['alert', 'steps[2].paths[0].steps[0]', 1], ['mail', 'steps[2].paths[1].steps[0]', 1],
  ]);
  assert.equal(parseFlowDefinition({ ...seedFlow, enabled: false }).ok, true);
  const fromText = parseFlowDefinition(JSON.stringify(seedFlow));
  assert.ok(fromText.ok);
  assert.deepEqual(fromText.definition, def);
});

test('problems carry JSON paths: bad op inside a nested path condition', () => {
  const bad = structuredClone(seedFlow) as { steps: unknown[] };
  bad.steps[1] = { id: 'route', type: 'paths', paths: [{ name: 'x', when: { all: [{ left: 'a', op: 'is', right: 1 }] }, steps: [] }] };
  bad.steps[2] = { id: 'other', type: 'send_email' };
  assert.deepEqual(problems(bad), [`steps[1].paths[0].when.all[0].op: must be one of ${CONDITION_OPS.join(', ')}`]);
});

test('shape problems: required fields, types, unknown fields, ids, retry, name length', () => {
  assert.deepEqual(problems({}), ['name: is required', 'steps: is required']);
  assert.deepEqual(problems({ name: '', steps: 'x' }), ['name: must not be empty', 'steps: must be an array (got string)']);
  assert.deepEqual(problems({ name: 'x'.repeat(201), steps: [] }), ['name: must be at most 200 characters']);
  assert.deepEqual(problems({ name: 'n', steps: [], extra: 1 }), ['extra: unknown field']);
  const p = problems({ name: 'n', steps: [
    { id: 'Verify', type: 'verify_signature' },
    { id: 'a', type: 'x', retry: { attempts: 11 } },
    { id: 'b', type: '', when: {} },
    { id: 'c', type: 'filter' },
    { id: 'x'.repeat(41), type: 'y' },
  ] });
  assert.deepEqual(p, [
    'steps[0].id: must match ^[a-z][a-z0-9_]{0,39}$ (a lowercase letter, then up to 39 lowercase letters, digits or _)',
    'steps[1].retry.attempts: Too big: expected number to be <=10',
    'steps[2].type: must not be empty',
    'steps[2].when: unknown field',
    'steps[3].when: is required',
    'steps[4].id: must match ^[a-z][a-z0-9_]{0,39}$ (a lowercase letter, then up to 39 lowercase letters, digits or _)',
  ]);
  assert.deepEqual(problems('{"name": '), ["(root): not valid JSON: Unexpected end of JSON input"]);
  assert.deepEqual(problems([]), ['(root): must be an object (got array)']);
});

test('paths rules: at least one path, one fallback, when required / forbidden', () => {
  const step = (paths: unknown[]) => ({ name: 'n', steps: [{ id: 'p', type: 'paths', paths }] });
  assert.deepEqual(problems(step([])), ['steps[0].paths: must hold at least one path']);
  assert.deepEqual(problems(step([{ name: 'a', steps: [] }])), ['steps[0].paths[0].when: is required (or mark the path "fallback": true)']);
  assert.deepEqual(problems(step([{ name: 'a', fallback: true, when: { left: 'x', op: 'exists' }, steps: [] }])),
    ['steps[0].paths[0].when: a fallback path has no when (it runs when no other path matched)']);
  assert.deepEqual(problems(step([{ name: 'a', fallback: true, steps: [] }, { name: 'b', fallback: true, steps: [] }])),
    ['steps[0].paths[1].fallback: only one path may be the fallback (paths[0] already is)']);
  assert.deepEqual(problems(step([{ name: 'a', when: { left: 'x', op: 'matches', right: '(' }, steps: [] }])),
    ['steps[0].paths[0].when.right: invalid RE2 regular expression: error parsing regexp: missing closing ): `(`']);
  assert.deepEqual(problems(step([{ name: 'a', fallback: true, steps: [{ id: 'q', type: 'paths', paths: [{ name: 'z' }] }] }])),
    ['steps[0].paths[0].steps[0].paths[0].steps: is required'], 'refinements wait for the shape');
});

test('ids are unique across the whole flow, nested paths included', () => {
  const def = { name: 'n', steps: [
    { id: 'a', type: 'x' },
    { id: 'p', type: 'paths', paths: [{ name: 'one', fallback: true, steps: [{ id: 'a', type: 'y' }, { id: 'p', type: 'filter', when: { left: 'z', op: 'exists' } }] }] },
  ] };
  assert.deepEqual(problems(def), [
    'steps[1].paths[0].steps[0].id: duplicate step id "a" (already used at steps[0].id); ids are unique across the whole flow',
    'steps[1].paths[0].steps[1].id: duplicate step id "p" (already used at steps[1].id); ids are unique across the whole flow',
  ]);
});

test('nesting depth at most 3; at most 100 steps', () => {
  assert.equal(parseFlowDefinition({ name: 'n', steps: nest(3, [{ id: 'leaf', type: 'x' }]) }).ok, true);
  assert.deepEqual(problems({ name: 'n', steps: nest(4, [{ id: 'leaf', type: 'x' }]) }),
    ['steps[0].paths[0].steps[0].paths[0].steps[0].paths[0].steps[0]: paths nested too deep (depth 4; at most 3)']);
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'x' }));
  assert.equal(parseFlowDefinition({ name: 'n', steps: many(100) }).ok, true);
  assert.deepEqual(problems({ name: 'n', steps: nest(1, many(100)) }),
    ['steps: a flow holds at most 100 steps (this one has 101, nested paths included)']);
});

test('response, dedup and rateLimit', () => {
  const base = { name: 'n', steps: [] };
  assert.deepEqual(problems({ ...base, response: { status: 99 } }), ['response.status: Too small: expected number to be >=100']);
  assert.deepEqual(problems({ ...base, response: { status: 200, headers: { 'Bad Header': 'x', ok: 'a\r\nb' } } }), [
    'response.headers.Bad Header: must be a valid HTTP header name',
    'response.headers.ok: must not contain CR, LF or NUL',
  ]);
  assert.deepEqual(problems({ ...base, dedup: { key: 'constant', windowSeconds: 604801 } }), [
    'dedup.key: must contain a {{placeholder}}, e.g. {{capture.headers.x-request-id}} (a constant key would drop every request after the first)',
    'dedup.windowSeconds: Too big: expected number to be <=604800',
  ]);
  assert.deepEqual(problems({ ...base, dedup: { key: '{{capture.headers.x-request-id}}' } }), ['dedup.windowSeconds: is required']);
  assert.deepEqual(problems({ ...base, rateLimit: { perSecond: 0, burst: 1.5 } }), [
    'rateLimit.perSecond: Too small: expected number to be >0',
    'rateLimit.burst: must be an integer (got number)',
  ]);
});

test('checkAction: the registry reports problems with the step path', () => {
  const r = parseFlowDefinition(seedFlow, {
    checkAction: (s) => (s.type === 'send_email' ? [{ path: 'config.to', message: 'is required' }] : s.type === 'raise_alert' ? [] : []),
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems, ['steps[2].paths[1].steps[0].config.to: is required']);
  assert.deepEqual(r.issues, [{ path: 'steps[2].paths[1].steps[0].config.to', message: 'is required' }]);
});
