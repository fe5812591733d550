/**
 * Templates over a run's context (issue "Receiver"): `{{ steps.verify.payload.event_data.experiment.name }}`.
 *
 * Paths:
 * - segments are split on `.` only, so header names keep their dashes: `capture.headers.x-determined-ai-signature`;
 * - array elements by index, either as a segment (`items.0.name`) or in brackets (`items[0].name`, `m[1][0]`);
 *   a negative index counts from the end (`items.-1`); `length` of an array or string is its length;
 * - under any `headers` object (the capture's, or an HTTP step's response) names are matched case-insensitively;
 * - only own properties are read (`__proto__`, `constructor` resolve to nothing).
 *
 * Rendering: a string renders as itself, a number/boolean as its text, an object or array as compact JSON, and a
 * missing value (or null) as the empty string. `renderValue` deep-renders a config object; a string that is exactly
 * one placeholder yields the raw value, so numbers and objects pass through untouched.
 */
import type { FlowContext } from './types.js';

/** One `{{ path }}` placeholder (no braces inside). Global: reset `lastIndex` or use via String methods. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
/** A string that is exactly one placeholder. */
const SINGLE_PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const INDEX = /^-?[0-9]+$/;

/** Splits a path into segments: `a.b[0][1].c-d` → `['a', 'b', '0', '1', 'c-d']`. Empty segments are dropped. */
export function parsePath(path: string): string[] {
  const out: string[] = [];
  for (const raw of path.trim().split('.')) {
    const seg = raw.trim();
    const m = /^([^[\]]*)((?:\[\s*-?[0-9]+\s*\])+)$/.exec(seg);
    if (m) {
      if (m[1] !== '') out.push(m[1]!);
      for (const idx of m[2]!.matchAll(/\[\s*(-?[0-9]+)\s*\]/g)) out.push(idx[1]!);
    } else if (seg !== '') {
      out.push(seg);
    }
  }
  return out;
}

function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function step(value: unknown, seg: string, caseInsensitive: boolean): unknown {
  if (typeof value === 'string') return seg === 'length' ? value.length : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    if (seg === 'length') return value.length;
    if (!INDEX.test(seg)) return undefined;
    const i = Number(seg);
    return value[i < 0 ? value.length + i : i];
  }
  const rec = value as Record<string, unknown>;
  if (own(rec, seg)) return rec[seg];
  if (caseInsensitive) {
    const lower = seg.toLowerCase();
    for (const k of Object.keys(rec)) if (k.toLowerCase() === lower) return rec[k];
  }
  return undefined;
}

/** The value at `path` in the context, or undefined when any segment is missing. */
export function resolvePath(ctx: FlowContext, path: string): unknown {
  const segs = parsePath(path);
  if (segs.length === 0) return undefined;
  let value: unknown = ctx;
  let prev = '';
  for (const seg of segs) {
    value = step(value, seg, prev.toLowerCase() === 'headers');
    if (value === undefined) return undefined;
    prev = seg;
  }
  return value;
}

/** How a resolved value appears inside a rendered string. */
export function stringifyValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** Replaces every `{{ path }}` in `template`; missing values render as the empty string. */
export function render(template: string, ctx: FlowContext): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => stringifyValue(resolvePath(ctx, path)));
}

/** True when the string holds at least one placeholder. */
export function hasPlaceholder(s: string): boolean {
  return /\{\{\s*[^{}]*?\s*\}\}/.test(s);
}

/** The path of a string that is exactly one placeholder (`"{{ a.b }}"` → `"a.b"`), else null. */
export function singlePlaceholder(s: string): string | null {
  const m = SINGLE_PLACEHOLDER.exec(s);
  return m ? m[1]! : null;
}

/** The paths of every placeholder in a string, in order (duplicates kept). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-renders every string in `value` (object keys are left as they are). A string that is exactly one
 * placeholder yields the raw resolved value (undefined when missing); any other string is `render`ed.
 */
export function renderValue(value: unknown, ctx: FlowContext): unknown {
  if (typeof value === 'string') {
    const single = singlePlaceholder(value);
    return single !== null ? resolvePath(ctx, single) : render(value, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, ctx));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, ctx);
    return out;
  }
  return value;
}

/**
 * The placeholder paths in `template` that resolve to nothing (undefined), each once, in order of appearance.
 * Accepts a string or any config value (walked like `renderValue`), so the runner can warn about a whole config.
 */
export function missingPaths(template: unknown, ctx: FlowContext): string[] {
  const missing = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const p of placeholders(v)) if (resolvePath(ctx, p) === undefined) missing.add(p);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (isPlainObject(v)) {
      Object.values(v).forEach(walk);
    }
  };
  walk(template);
  return [...missing];
}
