/**
 * The error catalog and its documentation stay in step: docs/errors.md lists every type of ERROR_TYPES, with the same
 * HTTP status, gRPC code and reason, explains each, and lists nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, ERROR_TYPES, GRPC, type ErrorType } from './errors.js';
import { repoRoot } from '../../test/helpers/vectors.js';

interface DocRow { type: string; http: number; code: number; reason: string }

function readDoc(): string {
  return readFileSync(join(repoRoot(), 'docs', 'errors.md'), 'utf8');
}

/** The rows of the table under "## Catalog" (up to the next "## " heading). */
function catalogRows(doc: string): DocRow[] {
  const start = doc.search(/^## Catalog\s*$/m);
  assert.ok(start >= 0, 'docs/errors.md has no "## Catalog" section');
  const rest = doc.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = end >= 0 ? rest.slice(0, end) : rest;
  const rows: DocRow[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*(\d+)\s*\|\s*`?([A-Za-z]+)`?\s*\|\s*$/.exec(line);
    if (m) rows.push({ type: m[1]!, http: Number(m[2]), code: Number(m[3]), reason: m[4]! });
    else if (/^\|\s*`/.test(line)) assert.fail(`docs/errors.md: catalog row not in the form | \`type\` | HTTP | code | Reason |: ${line}`);
  }
  return rows;
}

test('docs/errors.md lists exactly the types of ERROR_TYPES', () => {
  const rows = catalogRows(readDoc());
  const documented = rows.map((r) => r.type);
  const types = Object.keys(ERROR_TYPES);
  const missing = types.filter((t) => !documented.includes(t));
  const extra = documented.filter((t) => !types.includes(t));
  assert.deepEqual(missing, [], `ERROR_TYPES not in docs/errors.md: ${missing.join(', ')}`);
  assert.deepEqual(extra, [], `docs/errors.md lists types that do not exist: ${extra.join(', ')}`);
  assert.equal(new Set(documented).size, documented.length, 'docs/errors.md lists a type twice');
});

test('docs/errors.md gives each type its HTTP status, gRPC code and reason', () => {
  for (const r of catalogRows(readDoc())) {
    const k = ERROR_TYPES[r.type as ErrorType];
    if (!k) continue; // reported by the test above
    assert.equal(r.http, k.http, `${r.type}: docs say HTTP ${r.http}, ERROR_TYPES says ${k.http}`);
    assert.equal(r.reason, k.reason, `${r.type}: docs say reason ${r.reason}, ERROR_TYPES says ${k.reason}`);
    assert.equal(r.code, GRPC[k.reason], `${r.type}: docs say gRPC code ${r.code}, ${k.reason} is ${GRPC[k.reason]}`);
  }
});

test('docs/errors.md explains every type: when it happens and what to do', () => {
  const doc = readDoc();
  for (const type of Object.keys(ERROR_TYPES)) {
    const at = doc.indexOf(`\n### \`${type}\`\n`);
    assert.ok(at >= 0, `docs/errors.md has no "### \`${type}\`" section`);
    const next = doc.indexOf('\n### ', at + 1);
    const section = doc.slice(at, next >= 0 ? next : undefined);
    assert.match(section, /\*\*When:\*\*/, `${type}: no **When:** paragraph`);
    assert.match(section, /\*\*Do:\*\*/, `${type}: no **Do:** paragraph`);
  }
});

test('the documented example body is what ApiError produces', () => {
  const doc = readDoc();
  const m = /## The error body\s+```json\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(m, 'docs/errors.md has no JSON example under "## The error body"');
  const example = JSON.parse(m[1]!) as { error: { type: ErrorType; error: string } };
  assert.deepEqual(new ApiError(example.error.type, example.error.error).toBody(), example);
});

test('ERROR_TYPES is consistent with itself', () => {
  for (const [type, k] of Object.entries(ERROR_TYPES)) {
    assert.match(type, /^[a-z]+(_[a-z]+)*$/, `${type}: types are snake_case`);
    assert.ok(k.http >= 400 && k.http <= 599, `${type}: HTTP ${k.http} is not an error status`);
    assert.ok(k.reason in GRPC, `${type}: unknown gRPC reason ${k.reason}`);
    assert.ok(k.summary.length > 10, `${type}: no summary`);
    const e = new ApiError(type as ErrorType, 'message');
    assert.equal(e.http, k.http);
    assert.deepEqual(e.toBody(), { error: { code: GRPC[k.reason], reason: k.reason, error: 'message', type } });
  }
});
