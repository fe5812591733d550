/**
 * POST /api/v1/experiments/{id}/state is answered before Fastify (stateFastPath, src/http/routes/experiments.ts).
 * Every case here is sent twice: as is (the fast path, counted by app.fastPaths) and with a query string (which the
 * fast path leaves to Fastify's route). Both must answer the same status, content type and body, and change the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/harness.js';

interface Answer { status: number; type: string | null; body: unknown }

async function post(s: TestServer, path: string, raw: string | undefined, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: compared as text */ }
  return { status: res.status, type: res.headers.get('content-type'), body };
}

/** The answer without what differs between two experiments (ids, names, times). */
function comparable(a: Answer): Answer {
  const b = structuredClone(a.body) as { experiment?: Record<string, unknown> };
  if (b && typeof b === 'object' && b.experiment) {
    for (const k of ['id', 'name', 'startTime', 'endTime', 'updatedAt', 'createdAt']) delete b.experiment[k];
  }
  // Messages name the experiment: its id differs between the two sends.
  return { ...a, body: JSON.parse(JSON.stringify(b).replace(/experiment \d+/g, 'experiment N')) };
}

test('state changes answered before Fastify answer exactly as the route does, errors included', async () => {
  const s = await startTestServer();
  try {
    const auth = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const experiment = async (name: string): Promise<number> => (await s.api('POST', '/api/v1/experiments', { name })).body.experiment.id;
    const cases: { name: string; setup?: (id: number) => Promise<void>; path?: (id: number) => string; raw?: string; headers?: Record<string, string> }[] = [
      { name: 'a change', raw: '{"state":"COMPLETED"}' },
      { name: 'the same state again (no event)', raw: '{"state":"ACTIVE"}' },
      { name: 'an ended experiment moved back', setup: async (id) => { await s.api('POST', `/api/v1/experiments/${id}/state`, { state: 'COMPLETED' }); }, raw: '{"state":"ACTIVE"}' },
      { name: 'an unknown state', raw: '{"state":"DONE"}' },
      { name: 'no state', raw: '{}' },
      { name: 'an unknown field', raw: '{"state":"COMPLETED","x":1}' },
      { name: 'not an object', raw: '[1,2]' },
      { name: 'invalid JSON', raw: '{"state":' },
      { name: 'a byte order mark', raw: '\ufeff{"state":"COMPLETED"}' },
      { name: 'too deep', raw: `{"state":${'['.repeat(70)}${']'.repeat(70)}}` },
      { name: 'no token', raw: '{"state":"COMPLETED"}', headers: { 'content-type': 'application/json' } },
      { name: 'a wrong token', raw: '{"state":"COMPLETED"}', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' } },
      { name: 'no token and invalid JSON (the token is checked first)', raw: '{', headers: { 'content-type': 'application/json' } },
      { name: 'an unknown experiment', path: () => '/api/v1/experiments/999999/state', raw: '{"state":"COMPLETED"}' },
      { name: 'id 0', path: () => '/api/v1/experiments/0/state', raw: '{"state":"COMPLETED"}' },
      { name: 'a text/plain body (parsed as JSON all the same)', raw: '{"state":"COMPLETED"}', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/plain' } },
    ];
    for (const c of cases) {
      const answers: Answer[] = [];
      for (const via of ['fast', 'fastify'] as const) {
        const id = await experiment(`${c.name} ${via}`);
        await c.setup?.(id);
        const path = (c.path?.(id) ?? `/api/v1/experiments/${id}/state`) + (via === 'fastify' ? '?via=fastify' : '');
        const before = s.running.app.fastPaths.state;
        answers.push(comparable(await post(s, path, c.raw, c.headers ?? auth)));
        assert.equal(s.running.app.fastPaths.state - before, via === 'fast' ? 1 : 0, `${c.name}: ${via === 'fast' ? 'taken' : 'not taken'} by the fast path`);
        if (c.name === 'a change') {
          const got = await s.api('GET', `/api/v1/experiments/${id}`);
          assert.match(got.body.experiment.state, /COMPLETED$/, `${c.name} via ${via}: stored`);
        }
      }
      assert.deepEqual(answers[0], answers[1], `${c.name}: the fast path answers as Fastify's route`);
      assert.ok(answers[0]!.status < 500, `${c.name}: ${JSON.stringify(answers[0])}`);
    }

    // Left to Fastify: an empty body, a chunked one, one over the API's limit, another method.
    const id = await experiment('left to fastify');
    const before = s.running.app.fastPaths.state;
    assert.equal((await post(s, `/api/v1/experiments/${id}/state`, '', auth)).status, 400);
    const big = `{"state":"COMPLETED","pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    assert.equal((await post(s, `/api/v1/experiments/${id}/state`, big, auth)).status, 413);
    const chunked = await fetch(`${s.url}/api/v1/experiments/${id}/state`, {
      method: 'POST', headers: auth, duplex: 'half',
      body: new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode('{"state":"COMPLETED"}')); ctl.close(); } }),
    } as RequestInit);
    assert.equal(chunked.status, 200, await chunked.text());
    assert.equal((await fetch(`${s.url}/api/v1/experiments/${id}/state`, { method: 'PUT', headers: auth, body: '{}' })).status, 405);
    assert.equal(s.running.app.fastPaths.state, before, 'none of these took the fast path');
  } finally {
    await s.stop();
  }
});
