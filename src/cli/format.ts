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
