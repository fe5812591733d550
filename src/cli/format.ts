/**
 * Output and input helpers of the CLI: where text goes (Io), aligned tables, `--json` output, and the parsers of
 * numeric flags (their errors become commander usage errors, exit 2).
 */
import { InvalidArgumentError } from 'commander';

/** Where the CLI writes and reads; tests pass their own. `signal` ends long-running commands (sink). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  signal?: AbortSignal;
}

export function defaultIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    stdin: process.stdin,
  };
}

export interface Column {
  key: string;
  header: string;
}

/** Renders one cell: null/undefined/'' → '-', objects as compact JSON. */
function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\s*\n\s*/g, ' ');
}

/** Aligned plain-text columns, a header row first; the last column is not padded. */
export function formatTable(rows: Record<string, unknown>[], columns: Column[]): string {
  const grid = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => cell(r[c.key])))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]?.length ?? 0)));
  return grid
    .map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n') + '\n';
}

export function printTable(
  rows: Record<string, unknown>[],
  columns: Column[],
  write: (text: string) => void = (t) => process.stdout.write(t),
): void {
  write(formatTable(rows, columns));
}

/** `--json`: the raw API response, pretty-printed. */
export function printJson(value: unknown, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `key: value` lines for one object (the `get` commands). */
export function formatRecord(fields: [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${cell(v)}`).join('\n') + '\n';
}

/** `WEBHOOK_MODE_SPECIFIC` → `specific` (also accepts bare names). */
export function enumLabel(value: unknown, prefix: string): string {
  return typeof value === 'string' ? value.replace(prefix, '').toLowerCase() : cell(value);
}

/** Timestamps from the API (ISO string or epoch ms) → ISO without milliseconds; null → fallback. */
export function when(value: unknown, fallback = '-'): string {
  if (value === null || value === undefined || value === '') return fallback;
  const d = new Date(typeof value === 'number' ? value : String(value));
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A commander argument parser for integers in [min, max]. */
export function intArg(what: string, min = 0, max = 2 ** 31 - 1): (value: string) => number {
  return (value: string) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** An id argument (a positive integer). */
export const idArg = intArg('id', 1);

/** Collects a repeatable option into an array, each value parsed by `parse`. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/** `s` longer than `max` characters → its start and `…`; newlines become spaces. */
export function truncate(s: string, max: number): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/** Epoch ms → RFC 3339 in UTC, without milliseconds when they are 0. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const TIME_FORMS = 'an RFC 3339 time such as 2026-01-31T12:00:00Z, a date such as 2026-01-31 (UTC midnight), or a duration ago such as 30m, 1h, 2d';

/**
 * A time flag → RFC 3339 (UTC): `2026-01-31T12:00:00Z` or with an offset (`+02:00`), a bare date (UTC midnight),
 * or a duration ago (`90s`, `30m`, `1h`, `2d`, `1w`, optionally followed by "ago"); `now` is now. Throws a plain Error.
 */
export function parseTime(value: string, now: number = Date.now()): string {
  const v = value.trim();
  const rel = /^(\d{1,9})\s*([smhdw])(?:\s+ago)?$/i.exec(v);
  if (rel) return rfc3339(now - Number(rel[1]) * (UNIT_MS[rel[2]!.toLowerCase()] ?? 0));
  if (v.toLowerCase() === 'now') return rfc3339(now);
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:([Tt ])(\d\d):(\d\d)(?::\d\d(?:\.\d+)?)?([Zz]|[+-]\d\d:\d\d)?)?$/.exec(v);
  if (m) {
    const [, y, mo, d, sep, hh, mm, zone] = m;
    // Date.parse accepts 2026-02-30 (as March 2): check the calendar date and the clock first.
    const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    const real = day.getUTCFullYear() === Number(y) && day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d);
    if (!real || (sep && (Number(hh) > 23 || Number(mm) > 59))) throw new Error(`"${value}" is not a real date and time`);
    if (!sep) return rfc3339(day.getTime());
    if (!zone) throw new Error(`"${value}" has no time zone; add Z (UTC) or an offset such as +02:00`);
    const t = Date.parse(`${v.slice(0, 10)}T${v.slice(11)}`);
    if (Number.isFinite(t)) return rfc3339(t);
  }
  throw new Error(`use ${TIME_FORMS}; got "${value}"`);
}

/** A commander parser for time flags (see parseTime); the value becomes an RFC 3339 string. */
export function timeArg(value: string): string {
  try {
    return parseTime(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

/** A duration in ms as a short human string: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
