/**
 * Bad input, part 2: the webhook API. A valid create body mutated field by field with wrong types, unknown enum names,
 * enum numbers out of range, invalid URLs, bad triggers and conditions, RE2-incompatible regexes, duplicate names, both
 * spellings of a field; then the same for PATCH, the secret routes and failing test sends. Every answer must follow the
 * error contract and nothing may be written (see ./bad-input-helpers.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API, Checker, assertUnchanged, seed, snapshot, validWebhook, type BadRequest, type Want } from './bad-input-helpers.js';

type Field = [value: unknown, want: Want];

const BAD_URLS: [string, RegExp][] = [
  ['localhost:8181', /"localhost:8181" has no scheme; write it like http:\/\/localhost:8181/],
  ['hooks.example.com:443/x', /has no scheme; write it like http:\/\/hooks.example.com:443\/x/],
  ['/path', /not an absolute URL; write it like https:/],
  ['ftp://example.com/x', /uses ftp; only http and https/],
  ['http://', /not an absolute URL|no host/],
  ['https://', /not an absolute URL|no host/],
  ['javascript:alert(1)', /uses javascript/],
  [`https://example.com/${'a'.repeat(3000)}`, /longer than 2048 characters/],
  ['', /url is empty/],
  ['   ', /url is empty/],
  ['example.com/hook', /not an absolute URL/],
  ['mailto:a@example.com', /uses mailto/],
  ['file:///etc/passwd', /uses file/],
  ['data:text/plain,hi', /uses data/],
  ['ws://example.com/socket', /uses ws/],
  ['http:example.com', /has no host/],
  ['http:///example.com', /has no host/],
  ['http:\\\\example.com', /has no host/],
  ['http://exa mple.com/', /not an absolute URL/],
  ['http://[::1/', /not an absolute URL/],
  ['http://example.com:99999/', /not an absolute URL/],
  ['http://example.com/a\nb', /control character/],
  ['http://example.com/\ttab', /control character/],
];

const BAD_TRIGGER_TYPES: unknown[] = ['TRIGGER_TYPE_BOGUS', 'BOGUS', '', 5, -1, 1.5, 1e10, '3', true, [], {}, 'WEBHOOK_TYPE_SLACK'];

/** RE2 (Go) rejects all of these: lookarounds, backreferences, bad syntax, repeat counts over 1000, long patterns. */
const BAD_REGEXES = [
  '(a', 'a)', '(?=x)', '(?!x)', '(?<=x)y', '(?<!x)y', '\\1', '(a)\\1', '[z-a]', '*', '+a', 'a**', '(?i', '\\p{Bogus}',
  'x{2,1}', 'a{1001}', '(?P<n>a)(?P<n>b)', '[[:bogus:]]', 'abc\\', '(?#comment)', 'a++', '\\Z', '\\C',
];

test('bad input to the webhook API', async (t) => {
  const d = await seed();
  const { s } = d;
  const valid = validWebhook(d.sink.url, d.workspaceId);
  try {
    const before = await snapshot(s);
    const sinkBefore = d.sink.requests.length;
    const create = (label: string, body: unknown, want: Want = {}): BadRequest => ({ label, method: 'POST', path: `${API}/webhooks`, body, want });
    const withField = (k: string, v: unknown) => ({ ...valid, [k]: v });
    const without = (k: string) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k));
    const withTrigger = (trigger: unknown) => ({ ...valid, triggers: [trigger] });

    await t.test('POST /webhooks: every field with bad values', async () => {
      const c = new Checker(s);
      const fields: Record<string, Field[]> = {
        url: [
          ...BAD_URLS.map(([u, match]): Field => [u, { status: 400, type: 'invalid_url', match }]),
          [123, { type: 'invalid_argument', match: /webhook\.url must be a string, got number 123/ }],
          [true, { type: 'invalid_argument' }], [[], { type: 'invalid_argument' }], [{}, { type: 'invalid_argument' }],
          [['https://example.com'], { type: 'invalid_argument' }], [null, { type: 'invalid_url', match: /url is empty/ }],
        ],
        webhookType: [
          ['WEBHOOK_TYPE_TEAMS', { match: /webhook\.webhookType: "WEBHOOK_TYPE_TEAMS" is not a valid value; use one of WEBHOOK_TYPE_DEFAULT, WEBHOOK_TYPE_SLACK/ }],
          ['TEAMS', {}], ['', {}], ['WEBHOOK_MODE_SPECIFIC', {}], ['toString', {}], ['__proto__', {}],
          [0, { match: /webhookType must be WEBHOOK_TYPE_DEFAULT or WEBHOOK_TYPE_SLACK/ }], ['WEBHOOK_TYPE_UNSPECIFIED', {}],
          [3, { match: /3 is not a valid value/ }], [-1, {}], [2.5, {}], [1e10, {}], [true, {}], [[], {}], [{}, {}], [['WEBHOOK_TYPE_SLACK'], {}],
        ],
        mode: [
          ['WEBHOOK_MODE_ALL', { match: /webhook\.mode: "WEBHOOK_MODE_ALL" is not a valid value; use one of WEBHOOK_MODE_WORKSPACE, WEBHOOK_MODE_SPECIFIC/ }],
          ['SLACK', {}], ['', {}], [3, {}], [-1, {}], [1.5, {}], [false, {}], [{}, {}], [[], {}],
          // UNSPECIFIED and WORKSPACE are valid modes, but the body has a CUSTOM trigger, which needs SPECIFIC.
          [0, { match: /custom trigger only works on webhook with mode 'SPECIFIC'/ }], ['WEBHOOK_MODE_WORKSPACE', { match: /mode 'SPECIFIC'/ }],
        ],
        workspaceId: [
          [-1, { match: /webhook\.workspaceId must be between 0 and 2147483647, got -1/ }], [1.5, { match: /must be a whole number/ }],
          ['abc', {}], ['1e3', {}], ['', {}], [true, {}], [[], {}], [{}, {}], [2147483648, {}], [1e20, {}],
          [999, { status: 404, type: 'workspace_not_found', match: /workspace 999 not found/ }], ['999', { status: 404, type: 'workspace_not_found' }],
        ],
        name: [
          [123, { match: /webhook\.name must be a string, got number 123/ }], [true, {}], [[], {}], [{}, {}], ['x'.repeat(256), { match: /too long: at most 255/ }],
          ['a\u0000b', { match: /control characters/ }], ['a\nb', {}], ['tab\there', {}], ['del\u007f', {}], ['\ud800', { match: /unpaired surrogate/ }],
          ['ws-hook', { status: 409, type: 'webhook_name_taken', match: /a webhook named "ws-hook" already exists in workspace \d+ \(id \d+\)/ }],
          ['  ws-hook  ', { status: 409, type: 'webhook_name_taken' }],
        ],
        signatureSchemes: [
          ['standard', { match: /signatureSchemes must be an array/ }], [['hmac'], { match: /"hmac" is not a scheme/ }], [[1], {}], [{}, {}],
          [true, {}], [['determined', null], {}], [[['standard']], {}], [['Standard'], {}], [[''], {}],
        ],
        triggers: [
          [null, { match: /^at least one trigger required$/ }], [[], { match: /^at least one trigger required$/ }],
          ['TRIGGER_TYPE_TASK_LOG', { match: /triggers must be an array of triggers/ }], [{}, {}], [5, {}], [true, {}],
          [[null], { match: /triggers\[0\] must be a JSON object, got null/ }], [[5], {}], [['TRIGGER_TYPE_TASK_LOG'], {}], [[[]], {}],
          [Array.from({ length: 101 }, () => ({ triggerType: 1, condition: { state: 'ERROR' } })), { match: /at most 100 triggers, got 101/ }],
        ],
      };
      const reqs: BadRequest[] = [];
      for (const [field, values] of Object.entries(fields)) {
        for (const [value, want] of values) {
          reqs.push(create(`${field} = ${JSON.stringify(value)?.slice(0, 40)}`, withField(field, value), { status: 400, type: 'invalid_argument', ...want }));
        }
      }
      // Missing required fields.
      reqs.push(create('no url', without('url'), { type: 'invalid_url', match: /url is empty/ }));
      reqs.push(create('no triggers', without('triggers'), { match: /at least one trigger required/ }));
      reqs.push(create('no mode (WORKSPACE) with a CUSTOM trigger', without('mode'), { match: /mode 'SPECIFIC'/ }));
      // Unknown fields, and both spellings of one field.
      for (const k of ['bogus', 'Url', 'URL', 'webhook_typo', 'workspace', 'secret', 'enabled', 'triggerType']) {
        reqs.push(create(`unknown field ${k}`, { ...valid, [k]: 'x' }, { type: 'unknown_field', match: new RegExp(`unknown field "${k}"; known fields: id, url,`) }));
      }
      for (const [camel, snake, v] of [['webhookType', 'webhook_type', 'WEBHOOK_TYPE_SLACK'], ['workspaceId', 'workspace_id', d.workspaceId], ['signatureSchemes', 'signature_schemes', ['standard']]] as const) {
        reqs.push(create(`both ${camel} and ${snake}`, { ...valid, [camel]: v, [snake]: v }, { match: new RegExp(`gives both "${camel}" and "${snake}": use one`) }));
      }
      // Name uniqueness covers global webhooks too (a Switchyard extension; Determined allows duplicates there).
      for (const name of ['global-hook', 'global-c']) {
        reqs.push(create(`global duplicate ${name}`, { ...valid, workspaceId: 0, name }, { status: 409, type: 'webhook_name_taken', match: /already exists among global webhooks/ }));
      }
      await c.all(reqs);
      c.assertClean();
      assert.ok(c.sent > 100, `sent ${c.sent}`);
    });

    await t.test('POST /webhooks: bad triggers and conditions', async () => {
      const c = new Checker(s);
      const reqs: BadRequest[] = [];
      const trig = (label: string, trigger: unknown, want: Want) => reqs.push(create(label, withTrigger(trigger), { status: 400, type: 'invalid_argument', ...want }));
      for (const tt of BAD_TRIGGER_TYPES) {
        trig(`triggerType ${JSON.stringify(tt)}`, { triggerType: tt, condition: { state: 'ERROR' } }, { match: /triggers\[0\]\.triggerType/ });
      }
      for (const tt of [0, 'TRIGGER_TYPE_UNSPECIFIED', 'UNSPECIFIED', null]) {
        trig(`triggerType ${JSON.stringify(tt)}`, { triggerType: tt, condition: { state: 'ERROR' } }, { match: /triggers\[0\]\.triggerType is required: one of TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE/ });
      }
      trig('no triggerType', { condition: { state: 'ERROR' } }, { match: /triggerType is required/ });
      trig('unknown trigger field', { triggerType: 1, condition: { state: 'ERROR' }, regex: 'x' }, { type: 'unknown_field', match: /triggers\[0\] has an unknown field "regex"/ });
      trig('both triggerType and trigger_type', { triggerType: 1, trigger_type: 1, condition: { state: 'ERROR' } }, { match: /gives both "triggerType" and "trigger_type"/ });
      for (const cond of ['COMPLETED', ['state', 'COMPLETED'], 5, true]) {
        trig(`condition ${JSON.stringify(cond)}`, { triggerType: 1, condition: cond }, { match: /triggers\[0\]\.condition must be a JSON object/ });
      }
      // EXPERIMENT_STATE_CHANGE: exactly {"state": <a Determined experiment state>}.
      const esc = (condition: unknown) => ({ triggerType: 'TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE', condition });
      trig('state change without a condition', { triggerType: 1 }, { match: /must be \{"state": "<experiment state>"\}/ });
      for (const cond of [{}, { State: 'COMPLETED' }, { state: 'COMPLETED', extra: 1 }, { regex: 'x' }]) {
        trig(`state condition ${JSON.stringify(cond)}`, esc(cond), { match: /must be \{"state": "<experiment state>"\}/ });
      }
      for (const state of ['DONE', 'STATE_DONE', 'COMPLETE', 'ERRORED', '', 'STATE_', 'COMPLETED!', 'ACTIVE,ERROR']) {
        trig(`unknown state ${state}`, esc({ state }), { type: 'invalid_state', match: /is not an experiment state; use one of ACTIVE, CANCELED, COMPLETED/ });
      }
      for (const state of [5, null, true, ['COMPLETED'], { name: 'COMPLETED' }]) {
        trig(`state ${JSON.stringify(state)}`, esc({ state }), { type: 'invalid_state', match: /must be a string naming an experiment state/ });
      }
      // TASK_LOG: Determined's three checks, then RE2.
      const tl = (condition: unknown) => ({ triggerType: 'TRIGGER_TYPE_TASK_LOG', condition });
      trig('task log with two keys', tl({ regex: 'a', other: 'b' }), { match: /webhook task log condition must have one key got/ });
      trig('task log with no keys', tl({}), { match: /must have one key/ });
      trig('task log without a condition', { triggerType: 3 }, { match: /must have one key/ });
      trig('task log with another key', tl({ pattern: 'a' }), { match: /must have key 'regex' got \{"pattern":"a"\}/ });
      for (const regex of [5, null, ['a'], { source: 'a' }, true]) {
        trig(`regex ${JSON.stringify(regex)}`, tl({ regex }), { match: /must have key 'regex' as string got/ });
      }
      trig('empty regex', tl({ regex: '' }), { type: 'invalid_regex', match: /regex is empty/ });
      trig('regex over 1024 characters', tl({ regex: 'x'.repeat(1025) }), { type: 'invalid_regex', match: /longer than 1024/ });
      for (const regex of BAD_REGEXES) {
        trig(`regex ${regex}`, tl({ regex }), { type: 'invalid_regex', match: /triggers\[0\]\.condition\.regex does not compile as an RE2 \(Go\) regular expression: / });
      }
      // METRIC_THRESHOLD_EXCEEDED conditions are stored as given; one nested 5000 deep once overflowed the stack (500).
      const deep = `{"triggerType":"TRIGGER_TYPE_METRIC_THRESHOLD_EXCEEDED","condition":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
      reqs.push({
        label: 'deeply nested METRIC condition', method: 'POST', path: `${API}/webhooks`,
        raw: JSON.stringify({ ...valid, triggers: [] }).replace('"triggers":[]', `"triggers":[${deep}]`),
        want: { status: 400, type: 'invalid_json', match: /nested more than 64 levels/ },
      });
      // All-or-nothing: the bad trigger comes after good ones.
      reqs.push(create('good triggers then a bad one', { ...valid, triggers: [...(valid.triggers as unknown[]), tl({ regex: '(?=x)' })] }, { type: 'invalid_regex', match: /triggers\[3\]/ }));
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('CUSTOM triggers need SPECIFIC mode', async () => {
      const c = new Checker(s);
      const custom = { triggerType: 'TRIGGER_TYPE_CUSTOM', condition: {} };
      const want: Want = { status: 400, type: 'invalid_argument', match: /^custom trigger only works on webhook with mode 'SPECIFIC'\. Got WEBHOOK_MODE_WORKSPACE/ };
      await c.all([
        create('CUSTOM in WORKSPACE mode', { ...valid, mode: 'WEBHOOK_MODE_WORKSPACE', triggers: [custom] }, want),
        create('CUSTOM with mode 1', { ...valid, mode: 1, triggers: [custom] }, want),
        create('CUSTOM with mode UNSPECIFIED', { ...valid, mode: 'WEBHOOK_MODE_UNSPECIFIED', triggers: [custom] }, want),
        create('CUSTOM without mode, global', { url: valid.url, triggers: [custom] }, want),
        create('CUSTOM by number (4) in WORKSPACE mode', { ...valid, mode: 'WORKSPACE', triggers: [{ triggerType: 4 }] }, want),
        { label: 'PATCH mode of a webhook with a CUSTOM trigger', method: 'PATCH', path: `${API}/webhooks/${d.wsHook}`, body: { mode: 'WEBHOOK_MODE_WORKSPACE' }, want },
        { label: 'PATCH mode 0 of a webhook with a CUSTOM trigger', method: 'PATCH', path: `${API}/webhooks/${d.wsHook}`, body: { mode: 0, url: 'https://example.com/changed' }, want },
        { label: 'PATCH a CUSTOM trigger onto a WORKSPACE webhook', method: 'PATCH', path: `${API}/webhooks/${d.globalHook}`, body: { triggers: [custom] }, want },
      ]);
      c.assertClean();
    });

    await t.test('PATCH /webhooks/{id}: bad changes, and none of a bad request applies', async () => {
      const c = new Checker(s);
      const patch = (label: string, body: unknown, want: Want = {}, id = d.globalHook): BadRequest =>
        ({ label, method: 'PATCH', path: `${API}/webhooks/${id}`, body, want: { status: 400, type: 'invalid_argument', ...want } });
      const ok = 'https://example.com/changed';
      const reqs: BadRequest[] = [
        patch('nothing to change', {}, { match: /nothing to change: give at least one of url, name/ }),
        patch('only the ignored id', { id: 5 }, { match: /nothing to change/ }),
        patch('only nulls', { url: null, name: null }, { match: /nothing to change/ }),
        ...BAD_URLS.map(([url, match]) => patch(`url ${url.slice(0, 30)}`, { url }, { type: 'invalid_url', match })),
        patch('url number', { url: 5 }, { match: /webhook\.url must be a string/ }),
        patch('empty name', { name: '' }, { match: /name cannot be empty/ }),
        patch('blank name', { name: '   ' }, { match: /name cannot be empty/ }),
        patch('name number', { name: 7 }), patch('long name', { name: 'n'.repeat(256) }), patch('name with newline', { name: 'a\nb' }),
        patch('name taken (global)', { name: 'global-c' }, { status: 409, type: 'webhook_name_taken', match: /"global-c" already exists among global webhooks/ }),
        patch('name taken (workspace)', { name: 'ws-hook' }, { status: 409, type: 'webhook_name_taken', match: /in workspace/ }, d.downHook),
        patch('webhookType unknown', { webhookType: 'WEBHOOK_TYPE_EMAIL' }, { match: /webhookType: "WEBHOOK_TYPE_EMAIL" is not a valid value/ }),
        patch('webhookType 0', { webhookType: 0 }), patch('webhookType 9', { webhookType: 9 }), patch('webhookType true', { webhookType: true }),
        patch('mode unknown', { mode: 'WEBHOOK_MODE_SOME' }), patch('mode 7', { mode: 7 }),
        patch('triggers empty', { triggers: [] }, { match: /at least one trigger required/ }),
        patch('triggers string', { triggers: 'x' }), patch('triggers object', { triggers: {} }), patch('triggers [null]', { triggers: [null] }),
        patch('trigger with a bad regex', { triggers: [{ triggerType: 3, condition: { regex: '\\1' } }] }, { type: 'invalid_regex' }),
        patch('trigger with a bad state', { triggers: [{ triggerType: 1, condition: { state: 'FINISHED' } }] }, { type: 'invalid_state' }),
        patch('workspaceId', { workspaceId: d.workspaceId }, { match: /workspaceId cannot be changed/ }),
        patch('workspace_id 0', { workspace_id: 0 }, { match: /workspaceId cannot be changed/ }),
        patch('signatureSchemes string', { signatureSchemes: 'standard' }), patch('signatureSchemes unknown', { signatureSchemes: ['sha1'] }),
        patch('unknown field', { urll: ok }, { type: 'unknown_field', match: /unknown field "urll"/ }),
        patch('both webhookType spellings', { webhookType: 'WEBHOOK_TYPE_SLACK', webhook_type: 'WEBHOOK_TYPE_SLACK' }, { match: /gives both/ }),
        // A valid change with a bad one: nothing applies.
        patch('good url, bad triggers', { url: ok, triggers: [{ triggerType: 3, condition: { regex: '(' } }] }, { type: 'invalid_regex' }),
        patch('good url, taken name', { url: ok, name: 'global-c' }, { status: 409, type: 'webhook_name_taken' }),
        patch('good name, bad mode', { name: 'fresh-name', mode: 'BAD' }),
        patch('good url, bad schemes', { url: ok, signatureSchemes: [5] }),
        patch('good type, bad url', { webhookType: 'WEBHOOK_TYPE_SLACK', url: 'ftp://x' }, { type: 'invalid_url' }),
      ];
      await c.all(reqs);
      c.assertClean();
    });

    await t.test('secret routes and failing test sends', async () => {
      const c = new Checker(s);
      const rotate = (label: string, body: unknown, want: Want = {}): BadRequest =>
        ({ label, method: 'POST', path: `${API}/webhooks/${d.wsHook}/rotate-secret`, body, want: { status: 400, type: 'invalid_argument', ...want } });
      await c.all([
        rotate('negative overlap', { overlapSeconds: -1 }, { match: /overlapSeconds must be between 0 and 2592000, got -1/ }),
        rotate('overlap over 30 days', { overlapSeconds: 30 * 24 * 3600 + 1 }), rotate('fractional overlap', { overlapSeconds: 1.5 }),
        rotate('string overlap', { overlapSeconds: 'a day' }), rotate('boolean overlap', { overlapSeconds: true }), rotate('array body', []),
        rotate('unknown field', { overlap: 60 }, { type: 'unknown_field' }),
        rotate('both spellings', { overlapSeconds: 1, overlap_seconds: 1 }, { match: /gives both/ }),
        { label: 'secret of a webhook without Standard Webhooks', method: 'GET', path: `${API}/webhooks/${d.logHook}/secret`, want: { status: 400, type: 'invalid_argument', match: /does not sign with Standard Webhooks; enable it with PATCH/ } },
        { label: 'rotate a webhook without Standard Webhooks', method: 'POST', path: `${API}/webhooks/${d.logHook}/rotate-secret`, want: { status: 400, type: 'invalid_argument', match: /does not sign with Standard Webhooks/ } },
        { label: 'test send to a closed port', method: 'POST', path: `${API}/webhooks/${d.downHook}/test`, want: { status: 400, type: 'webhook_test_failed', match: /^error sending webhook request for event [0-9a-f-]{36} error: / } },
        { label: 'test send answered 500', method: 'POST', path: `${API}/webhooks/${d.failHook}/test`, want: { status: 400, type: 'webhook_test_failed', match: /^received error from webhook server for event [0-9a-f-]{36} error: 500/ } },
      ], 1);
      c.assertClean();
      // The failing test sends did reach the sink (once, no retry): that is all they may do.
      assert.equal(d.sink.byPath('/fail').length, 1);
    });

    await t.test('concurrent creates with a taken name are all 409s', async () => {
      const c = new Checker(s);
      await c.all(Array.from({ length: 16 }, (_, i) => create(`parallel ${i}`, { ...valid, name: 'ws-hook' }, { status: 409, type: 'webhook_name_taken' })), 16);
      c.assertClean();
    });

    await t.test('nothing was written and the server still answers', async () => {
      await assertUnchanged(s, before);
      assert.equal(d.sink.requests.length, sinkBefore + 1, 'only the failing test send reached the sink');
      // The valid body the mutations started from is accepted.
      const r = await s.api('POST', `${API}/webhooks`, valid);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.webhook.triggers.length, 3);
    });
  } finally {
    await d.stop();
  }
});
