/**
 * Conditions of filter steps and paths branches: one rule, or `{ all: [...] }` / `{ any: [...] }` of rules.
 *
 * A rule's `left` is a path (`steps.verify.result`) or a template (`{{capture.headers.x-kind}}/{{capture.method}}`);
 * a template that is exactly one placeholder yields the raw value. `right` is a literal, and a string `right` is a
 * template too. Semantics:
 * - equals / not_equals: JSON-deep equality; a number or boolean equals its text (`41` equals `"41"`).
 * - contains / not_contains: substring of a string, element of an array (by `equals`), or key of an object.
 * - exists / not_exists: present, not null and not the empty string.
 * - matches: RE2 syntax via re2js (linear time, no backtracking), unanchored; `ignoreCase` applies.
 * - gt / gte / lt / lte: numeric; numeric strings are coerced, anything else fails the rule.
 * - starts_with / ends_with: on the value's text.
 * Text operators compare case-sensitively unless the rule says `ignoreCase: true`.
 * A missing left value fails every positive operator and passes every negated one (not_equals, not_contains,
 * not_exists). Every rule is evaluated (no short-circuit), so `explain` has one line per rule.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { hasPlaceholder, renderValue, resolvePath } from './template.js';
import type { FlowContext } from './types.js';

export const CONDITION_OPS = [
  'equals', 'not_equals', 'contains', 'not_contains', 'exists', 'not_exists', 'matches',
  'gt', 'gte', 'lt', 'lte', 'starts_with', 'ends_with',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export interface Rule {
  /** A path (`steps.verify.result`) or a template (`{{capture.json.kind}}`). */
  left: string;
  op: ConditionOp;
  /** Required except for exists / not_exists. A string is rendered as a template. */
  right?: unknown;
  /** Case-insensitive comparison for text operators (equals on strings, contains, starts/ends_with, matches). */
  ignoreCase?: boolean;
}
export type Condition = { all: Rule[] } | { any: Rule[] } | Rule;

export interface Evaluation {
  pass: boolean;
  /** One human line per rule, e.g. `steps.verify.result ("PASS") equals "PASS": yes`. */
  explain: string[];
}

const UNARY: ReadonlySet<ConditionOp> = new Set(['exists', 'not_exists']);
const NUMERIC: ReadonlySet<ConditionOp> = new Set(['gt', 'gte', 'lt', 'lte']);
const NUMERIC_TEXT = /^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$/;
const MAX_SHOWN = 80;

/** Compiles an RE2 pattern; throws RE2JS's syntax error (message names the problem) when it is invalid. */
const regexCache = new Map<string, RE2JS>();
export function compileRegex(pattern: string, ignoreCase = false): RE2JS {
  const key = `${ignoreCase ? 'i' : '-'}${pattern}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    re = RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    if (regexCache.size >= 500) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

/** Why a pattern does not compile under RE2, or null when it does. */
export function regexError(pattern: string): string | null {
  try {
    compileRegex(pattern);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const opSchema = z.enum(CONDITION_OPS, { error: () => `must be one of ${CONDITION_OPS.join(', ')}` });

export const ruleSchema = z
  .strictObject({
    left: z.string().min(1, 'must be a non-empty path or template').max(1000),
    op: opSchema,
    right: z.unknown().optional(),
    ignoreCase: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    if (UNARY.has(r.op)) {
      if (r.right !== undefined) ctx.addIssue({ code: 'custom', path: ['right'], message: `must be absent for ${r.op}` });
      return;
    }
    if (r.right === undefined) {
      ctx.addIssue({ code: 'custom', path: ['right'], message: `is required for ${r.op}` });
      return;
    }
    if (r.op === 'matches') {
      if (typeof r.right !== 'string') {
        ctx.addIssue({ code: 'custom', path: ['right'], message: 'must be a regular expression (string) for matches' });
      } else if (!hasPlaceholder(r.right)) {
        const err = regexError(r.right);
        if (err !== null) ctx.addIssue({ code: 'custom', path: ['right'], message: `invalid RE2 regular expression: ${err}` });
      }
    } else if (NUMERIC.has(r.op)) {
      const ok = typeof r.right === 'number' ? Number.isFinite(r.right)
        : typeof r.right === 'string' && (NUMERIC_TEXT.test(r.right) || hasPlaceholder(r.right));
      if (!ok) ctx.addIssue({ code: 'custom', path: ['right'], message: `must be a number (or numeric text) for ${r.op}` });
    }
  });

/** A rule, `{ all: [rules] }` or `{ any: [rules] }`; chosen by shape so problems point into the right one. */
export const conditionSchema: z.ZodType<Condition> = z.unknown().transform((v, ctx): Condition => {
  const group = v !== null && typeof v === 'object' && !Array.isArray(v) && ('all' in v || 'any' in v);
  const key = group && 'all' in v ? 'all' : 'any';
  const schema = group
    ? z.strictObject({ [key]: z.array(ruleSchema).min(1, 'must hold at least one rule').max(50) })
    : ruleSchema;
  const r = schema.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return r.data as Condition;
});

/** Rules of a condition, and whether all or any must pass. */
export function conditionRules(cond: Condition): { mode: 'all' | 'any'; rules: Rule[] } {
  if ('all' in cond) return { mode: 'all', rules: cond.all };
  if ('any' in cond) return { mode: 'any', rules: cond.any };
  return { mode: 'all', rules: [cond] };
}

function resolveOperand(text: string, ctx: FlowContext): unknown {
  return hasPlaceholder(text) ? renderValue(text, ctx) : resolvePath(ctx, text);
}

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function fold(s: string, ignoreCase: boolean): string {
  return ignoreCase ? s.toLowerCase() : s;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && NUMERIC_TEXT.test(v)) return Number(v);
  return null;
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function deepEqual(a: unknown, b: unknown, ignoreCase: boolean): boolean {
  if (isScalar(a) && isScalar(b)) {
    if (typeof a === typeof b && typeof a !== 'string') return a === b;
    return fold(String(a), ignoreCase) === fold(String(b), ignoreCase);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i], ignoreCase));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual((a as Record<string, unknown>)[k], rb[k], ignoreCase));
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** Applies one operator; `note` explains a failure that is not a plain "no". */
function apply(op: ConditionOp, left: unknown, right: unknown, ic: boolean): { pass: boolean; note?: string } {
  switch (op) {
    case 'exists': return { pass: present(left) };
    case 'not_exists': return { pass: !present(left) };
    case 'not_equals': return { pass: !apply('equals', left, right, ic).pass };
    case 'not_contains': return { pass: !apply('contains', left, right, ic).pass };
    default: break;
  }
  if (left === undefined) return { pass: false, note: 'value is missing' };
  switch (op) {
    case 'equals': return { pass: deepEqual(left, right, ic) };
    case 'contains': {
      if (Array.isArray(left)) return { pass: left.some((x) => deepEqual(x, right, ic)) };
      if (left !== null && typeof left === 'object') return { pass: Object.prototype.hasOwnProperty.call(left, text(right)) };
      return { pass: fold(text(left), ic).includes(fold(text(right), ic)) };
    }
    case 'starts_with': return { pass: fold(text(left), ic).startsWith(fold(text(right), ic)) };
    case 'ends_with': return { pass: fold(text(left), ic).endsWith(fold(text(right), ic)) };
    case 'matches': {
      if (typeof right !== 'string') return { pass: false, note: 'pattern is not a string' };
      try {
        return { pass: compileRegex(right, ic).test(text(left)) };
      } catch (err) {
        return { pass: false, note: `invalid RE2 regular expression: ${(err as Error).message}` };
      }
    }
    default: {
      const a = toNumber(left);
      const b = toNumber(right);
      if (a === null) return { pass: false, note: 'value is not a number' };
      if (b === null) return { pass: false, note: 'comparand is not a number' };
      const pass = op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
      return { pass };
    }
  }
}

/** Evaluates one rule: its verdict and its explanation line. Never throws. */
export function evaluateRule(rule: Rule, ctx: FlowContext): { pass: boolean; line: string } {
  const left = resolveOperand(rule.left, ctx);
  const right = typeof rule.right === 'string' && hasPlaceholder(rule.right) ? renderValue(rule.right, ctx) : rule.right;
  const { pass, note } = apply(rule.op, left, right, rule.ignoreCase === true);
  const rhs = UNARY.has(rule.op) ? '' : ` ${show(right)}`;
  const flag = rule.ignoreCase === true && !UNARY.has(rule.op) ? ' (ignoring case)' : '';
  const verdict = pass ? 'yes' : note !== undefined ? `no (${note})` : 'no';
  return { pass, line: `${rule.left} (${show(left)}) ${rule.op}${rhs}${flag}: ${verdict}` };
}

/** Evaluates a condition against the context. `all` of nothing passes, `any` of nothing fails. */
export function evaluate(cond: Condition, ctx: FlowContext): Evaluation {
  const { mode, rules } = conditionRules(cond);
  const results = rules.map((r) => evaluateRule(r, ctx));
  const pass = mode === 'all' ? results.every((r) => r.pass) : results.some((r) => r.pass);
  return { pass, explain: results.map((r) => r.line) };
}

/** Validation problems of a condition, as `path: message` lines (empty when valid). */
export function validateCondition(cond: unknown): string[] {
  const r = conditionSchema.safeParse(cond);
  if (r.success) return [];
  return r.error.issues.map((i) => `${formatJsonPath(i.path) || '(condition)'}: ${i.message}`);
}

/** `['steps', 1, 'paths', 0, 'when']` → `steps[1].paths[0].when`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
