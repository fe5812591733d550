/**
 * Reading request bodies the way grpc-gateway's jsonpb does: lowerCamelCase or snake_case names, enums by full
 * name or number; plus friendlier errors (unknown fields are named, with the known ones listed).
 */
import { ApiError, invalid } from './errors.js';

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** A view of one JSON object with known camelCase field names (snake_case accepted too). */
export class Fields {
  private readonly obj: Record<string, unknown>;
  constructor(value: unknown, private readonly where: string, known: readonly string[]) {
    if (value === undefined) throw invalid(`${where} must be a JSON object, got an empty request body`);
    if (!isObject(value)) throw invalid(`${where} must be a JSON object, got ${typeName(value)}`);
    this.obj = value;
    const allowed = new Set<string>();
    for (const k of known) { allowed.add(k); allowed.add(snake(k)); }
    for (const k of Object.keys(value)) {
      if (!allowed.has(k)) {
        throw new ApiError('unknown_field', `${where} has an unknown field "${k}"; known fields: ${known.join(', ')}`);
      }
    }
    for (const k of known) {
      if (k !== snake(k) && k in value && snake(k) in value) {
        throw invalid(`${where} gives both "${k}" and "${snake(k)}": use one`);
      }
    }
  }
  /** The raw value, undefined when absent (null counts as absent, as in jsonpb). */
  raw(name: string): unknown {
    const v = name in this.obj ? this.obj[name] : this.obj[snake(name)];
    return v === null ? undefined : v;
  }
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }
  path(name: string): string {
    return `${this.where}.${name}`;
  }
  string(name: string, opts: { required?: boolean; max?: number; trim?: boolean } = {}): string | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw invalid(`${this.path(name)} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw invalid(`${this.path(name)} must be a string, got ${typeName(v)}`);
    const s = opts.trim ? v.trim() : v;
    if (opts.max !== undefined && s.length > opts.max) throw invalid(`${this.path(name)} is too long: at most ${opts.max} characters`);
    return s;
  }
  int(name: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) throw invalid(`${this.path(name)} is required`);
      return undefined;
    }
    // jsonpb accepts int32 values as JSON numbers or decimal strings.
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw invalid(`${this.path(name)} must be a whole number, got ${typeName(v)}`);
    const min = opts.min ?? -2147483648;
    const max = opts.max ?? 2147483647;
    if (n < min || n > max) throw invalid(`${this.path(name)} must be between ${min} and ${max}, got ${n}`);
    return n;
  }
  bool(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw invalid(`${this.path(name)} must be true or false, got ${typeName(v)}`);
    return v;
  }
  /** An enum given as its full proto name (`WEBHOOK_TYPE_SLACK`), its short name (`SLACK`, any case) or its number. */
  enumOf<T extends string>(name: string, prefix: string, values: readonly T[], numbers: Record<number, T | 'UNSPECIFIED'>): T | 'UNSPECIFIED' | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const options = values.map((x) => `${prefix}${x}`).join(', ');
    if (typeof v === 'number') {
      const e = numbers[v];
      if (e === undefined) throw invalid(`${this.path(name)}: ${v} is not a valid value; use one of ${options}`);
      return e;
    }
    if (typeof v !== 'string') throw invalid(`${this.path(name)} must be one of ${options}, got ${typeName(v)}`);
    const up = v.trim().toUpperCase();
    const short = up.startsWith(prefix) ? up.slice(prefix.length) : up;
    if (short === 'UNSPECIFIED') return 'UNSPECIFIED';
    const found = values.find((x) => x === short);
    if (!found) throw invalid(`${this.path(name)}: "${v}" is not a valid value; use one of ${options}`);
    return found;
  }
}

/** Parses a path id (`/webhooks/{id}`): a positive int32. */
export function pathId(v: string | undefined, what: string): number {
  if (v === undefined || !/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > 2147483647) {
    throw new ApiError('invalid_id', `${what} id must be a positive whole number, got "${v ?? ''}"`);
  }
  return Number(v);
}
