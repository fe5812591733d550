/**
 * Times every SQLite statement a process runs, by SQL text: preloaded into Switchyard with `--import`, it wraps
 * better-sqlite3's statement methods and writes, every 2 s and at exit, one TSV per thread into
 * `$STMT_TIMER_DIR` (default /tmp/switchyard-stmts): calls, total µs, µs per call, method and SQL (first 160
 * characters), slowest first. Wall time inside the call, so a busy machine inflates it; compare shapes, not µs.
 *
 *   BENCH_NODE_ARGS="--import $PWD/dist/bench/stmt-timer.js" node dist/bench/run.js --reps 1 --scenarios fan-out-10
 *   sort -t$'\t' -k2 -nr /tmp/switchyard-stmts/*-main.tsv | head
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

type Method = (...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as new (path: string) => { prepare(s: string): object; close(): void };
const probe = new Database(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
probe.close();

const stats = new Map<string, { n: number; us: number }>();
for (const m of ['run', 'get', 'all', 'iterate']) {
  const orig = proto[m]!;
  proto[m] = function (this: { source: string }, ...args: unknown[]) {
    const t = process.hrtime.bigint();
    try {
      return orig.apply(this, args);
    } finally {
      const us = Number(process.hrtime.bigint() - t) / 1000;
      const key = `${m}\t${this.source.replace(/\s+/g, ' ').slice(0, 160)}`;
      const s = stats.get(key) ?? { n: 0, us: 0 };
      s.n++;
      s.us += us;
      stats.set(key, s);
    }
  };
}

const dir = process.env.STMT_TIMER_DIR ?? '/tmp/switchyard-stmts';
mkdirSync(dir, { recursive: true });
const file = join(dir, `${process.pid}-${isMainThread ? 'main' : `thread${threadId}`}.tsv`);
const dump = () => {
  if (stats.size === 0) return;
  const rows = [...stats].sort((a, b) => b[1].us - a[1].us)
    .map(([k, s]) => `${s.n}\t${Math.round(s.us)}\t${(s.us / s.n).toFixed(1)}\t${k}`);
  writeFileSync(file, `calls\ttotal_us\tus_per_call\tmethod\tsql\n${rows.join('\n')}\n`);
};
process.on('exit', dump);
// The benchmark ends Switchyard with SIGKILL: what the last dump wrote is what is left.
setInterval(dump, 2000).unref();
