/**
 * `npm run bench [-- --quick]`: Switchyard's benchmark, sender and receiver. See docs/benchmarks.md.
 *
 * Starts a recording sink, measures the machine's limits, then runs every scenario `--reps` times, alternating
 * (rep 1 of each, then rep 2 of each, ...), each on a fresh Switchyard process. Prints the table to stdout (progress
 * to stderr) and writes every sample to bench/results/<timestamp>.json. It checks no target: it only measures.
 * Exit code 1 only when a scenario or a process failed outright.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBareHttp, measurePoolToSink, type LimitSample } from './limits.js';
import { ROOT, startSink } from './processes.js';
import { BUSY, machineBusy, waitQuiet, type CpuUse } from './cpu.js';
import { buildReceiverRows, buildRows, cpuPerDelivery, problems, receiverProblems, RECEIVER_TARGETS, renderTable, TARGETS } from './report.js';
import { runScenario, SCENARIOS, type RunCounts, type ScenarioSample } from './scenarios.js';
import { RECEIVER_SCENARIOS, runReceiverScenario, type ReceiverCounts, type ReceiverSample } from './receiver.js';

const HELP = `usage: node dist/bench/run.js [options]
  --quick                 one short repetition (smoke run)
  --reps N                repetitions of every scenario (default 3; --quick: 1)
  --scenarios a,b         only these scenarios (${[...SCENARIOS, ...RECEIVER_SCENARIOS].map((s) => s.name).join(', ')})
  --events N              state changes per measured closed-loop run, one webhook
  --fanout-events N       state changes per measured closed-loop run with 10 webhooks
  --warmup N              state changes before each measurement
  --experiments N         experiments toggled round robin
  --concurrency N         requests in flight in closed loop (default 64)
  --open-rate N           events per second in open loop (default 1000)
  --open-seconds S        length of the open-loop run
  --limit-requests N      requests per machine-limit measurement (a tenth of it with 256 KB bodies)
  --captures N            receiver: captures per measured full-load run, 1 KB bodies (default 40000)
  --captures-256k N       receiver: captures per measured full-load run, 256 KB bodies (default 2000)
  --flow-runs N           receiver: captures (runs) per measured flow-verify run (default 20000)
  --python-runs N         receiver: captures (runs) per measured flow-python run (default 3000)
  --receiver-rate N       receiver: requests per second in open loop (default 2000)
  --receiver-seconds S    receiver: length of the open-loop runs (default 10; 256 KB bodies: a fifth of it)
  --drain-timeout-ms N    longest wait for the last deliveries
  --wait-quiet S          before each sample, wait up to S seconds for other processes to leave the CPU
                          idle (default 30; --quick: 0)
  --retry-busy N          measure a sample again (up to N times) when processes outside the benchmark took
                          over 15 % of the machine during it (default 2; --quick: 0)
  --out DIR               where the JSON goes (default bench/results)
  --profile DIR           run Switchyard with --cpu-prof, profiles into DIR (summarize: node dist/bench/profile.js DIR)`;

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
};

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const round = (x: number, d = 0) => (Number.isFinite(x) ? Number(x.toFixed(d)).toLocaleString('en-US') : '—');

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      quick: { type: 'boolean' }, help: { type: 'boolean' }, reps: { type: 'string' }, scenarios: { type: 'string' },
      events: { type: 'string' }, 'fanout-events': { type: 'string' }, warmup: { type: 'string' }, experiments: { type: 'string' },
      concurrency: { type: 'string' }, 'open-rate': { type: 'string' }, 'open-seconds': { type: 'string' },
      'limit-requests': { type: 'string' }, captures: { type: 'string' }, 'captures-256k': { type: 'string' }, 'flow-runs': { type: 'string' },
      'python-runs': { type: 'string' }, 'receiver-rate': { type: 'string' }, 'receiver-seconds': { type: 'string' }, 'drain-timeout-ms': { type: 'string' }, 'wait-quiet': { type: 'string' }, 'retry-busy': { type: 'string' }, out: { type: 'string' }, profile: { type: 'string' },
    },
  });
  if (a.help) { process.stdout.write(`${HELP}\n`); return 0; }
  const quick = a.quick ?? false;
  const counts: RunCounts = {
    events: num(a.events, 'events') ?? (quick ? 1500 : 10_000),
    fanoutEvents: num(a['fanout-events'], 'fanout-events') ?? (quick ? 300 : 2_500),
    warmup: num(a.warmup, 'warmup') ?? (quick ? 200 : 1_000),
    experiments: num(a.experiments, 'experiments') ?? (quick ? 300 : 1_000),
    concurrency: num(a.concurrency, 'concurrency') ?? 64,
    openRate: num(a['open-rate'], 'open-rate') ?? 1000,
    openSeconds: num(a['open-seconds'], 'open-seconds') ?? (quick ? 2 : 10),
    drainTimeoutMs: num(a['drain-timeout-ms'], 'drain-timeout-ms') ?? 120_000,
  };
  const receiverSeconds = num(a['receiver-seconds'], 'receiver-seconds') ?? (quick ? 1 : 10);
  const rcounts: ReceiverCounts = {
    captures: num(a.captures, 'captures') ?? (quick ? 3_000 : 40_000),
    captures256k: num(a['captures-256k'], 'captures-256k') ?? (quick ? 200 : 2_000),
    flowRuns: num(a['flow-runs'], 'flow-runs') ?? (quick ? 1_500 : 20_000),
    pythonRuns: num(a['python-runs'], 'python-runs') ?? (quick ? 200 : 3_000),
    warmup: counts.warmup, concurrency: counts.concurrency,
    rate: num(a['receiver-rate'], 'receiver-rate') ?? 2000, openSeconds: receiverSeconds, openSeconds256k: receiverSeconds / 5,
    drainTimeoutMs: counts.drainTimeoutMs,
  };
  if (counts.experiments < counts.concurrency * 2) throw new Error('--experiments must be at least twice --concurrency');
  const reps = num(a.reps, 'reps') ?? (quick ? 1 : 3);
  const quietMs = a['wait-quiet'] === '0' ? 0 : (num(a['wait-quiet'], 'wait-quiet') ?? (quick ? 0 : 30)) * 1000;
  const settle = async (what: string) => {
    if (quietMs <= 0) return;
    const q = await waitQuiet(quietMs);
    if (q.busy !== null && q.busy >= BUSY) log(`  (${what}: the machine is still ${(q.busy * 100).toFixed(0)} % busy with other processes after ${round(q.waitedMs / 1000)} s; measuring anyway)`);
  };
  const retryBusy = a['retry-busy'] === '0' ? 0 : (num(a['retry-busy'], 'retry-busy') ?? (quick ? 0 : 2));
  const discarded: { what: string; other: number; sample: unknown }[] = [];
  /** One sample measured on a quiet machine if possible: of the attempts, the least disturbed goes to the table, the
   *  others to the JSON's `discardedBusySamples`. */
  const clean = async <T extends { cpu: CpuUse | null }>(what: string, f: () => Promise<T>): Promise<T> => {
    let best: T | null = null;
    for (let attempt = 0; ; attempt++) {
      await settle(what);
      const r = await f();
      const other = r.cpu?.other ?? 0;
      if (best && (best.cpu?.other ?? 0) <= other) discarded.push({ what, other, sample: r });
      else {
        if (best) discarded.push({ what, other: best.cpu?.other ?? 0, sample: best });
        best = r;
      }
      if (other <= BUSY || attempt >= retryBusy) return best;
      log(`  (${what}: other processes took ${(other * 100).toFixed(0)} % of the machine; measuring again)`);
    }
  };
  const limitRequests = num(a['limit-requests'], 'limit-requests') ?? (quick ? 5_000 : 40_000);
  const wanted = a.scenarios?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((w) => ![...SCENARIOS, ...RECEIVER_SCENARIOS].some((s) => s.name === w)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const defs = wanted ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  const rdefs = wanted ? RECEIVER_SCENARIOS.filter((s) => wanted.includes(s.name)) : RECEIVER_SCENARIOS;
  const profileDir = a.profile ? resolve(a.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const startedAt = new Date();
  const machine = {
    cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, totalMemMb: Math.round(totalmem() / 2 ** 20),
    node: process.version, platform: `${process.platform} ${process.arch}`,
    busyBeforeStart: await machineBusy(1000), gitCommit: git(['rev-parse', 'HEAD']), gitDirty: (git(['status', '--porcelain', '--', 'src', 'bin']) ?? '') !== '',
  };
  log(`switchyard bench${quick ? ' (quick)' : ''}: ${machine.cpus} CPUs, node ${machine.node}, commit ${machine.gitCommit?.slice(0, 10) ?? '?'}${machine.gitDirty ? ' (+ uncommitted changes)' : ''}`);
  log(`counts: ${JSON.stringify(counts)}, receiver ${JSON.stringify(rcounts)}, reps ${reps}, limit requests ${limitRequests}`);

  const sink = await startSink('record');
  const limits: LimitSample[] = [];
  const samples: ScenarioSample[] = [];
  const rsamples: ReceiverSample[] = [];
  const failures: string[] = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const la = await clean(`limits (a) ${rep}`, () => measureBareHttp(rep, limitRequests, counts.concurrency));
      limits.push(la);
      let line = `[limits ${rep}/${reps}] bare node:http ${round(la.perSec)} req/s (p99 ${round(la.latency.p99, 2)} ms)`;
      if (rdefs.some((d) => d.bodyKb === 256)) {
        const l256 = await clean(`limits (a, 256 KB) ${rep}`, () => measureBareHttp(rep, Math.max(100, Math.round(limitRequests / 10)), counts.concurrency, 256));
        limits.push(l256);
        line += `, 256 KB ${round(l256.perSec)} req/s`;
      }
      if (defs.length) {
        const lb = await clean(`limits (b) ${rep}`, () => measurePoolToSink(rep, limitRequests, counts.concurrency, sink));
        limits.push(lb);
        line += `; undici Pool → sink ${round(lb.perSec)} req/s`;
      }
      log(line);
    }
    for (let rep = 1; rep <= reps; rep++) {
      for (const def of defs) {
        try {
          const s = await clean(`${def.name} rep ${rep}`, () => runScenario(def, rep, counts, sink, profileDir));
          samples.push(s);
          log(`[rep ${rep}/${reps}] ${def.name.padEnd(15)} ${round(s.deliveriesPerSec).padStart(7)} deliveries/s, ` +
            `${round(s.acksPerSec).padStart(6)} changes/s, latency p50 ${round(s.latency.p50, 1)} p99 ${round(s.latency.p99, 1)} ms, ` +
            `RSS ${round(s.peakRssMb ?? NaN)} MB, CPU ${round(s.cpu?.cores.switchyard ?? NaN, 2)} cores (${round(cpuPerDelivery(s))} µs per delivery), ` +
            `${s.received}/${s.expectedDeliveries} in ${round(s.wallMs / 1000, 1)} s`);
        } catch (e) {
          failures.push(`${def.name} rep ${rep}: ${(e as Error).stack ?? String(e)}`);
          log(`[rep ${rep}/${reps}] ${def.name} FAILED: ${String(e)}`);
        }
      }
      for (const def of rdefs) {
        try {
          const s = await clean(`${def.name} rep ${rep}`, () => runReceiverScenario(def, rep, rcounts, profileDir));
          rsamples.push(s);
          log(`[rep ${rep}/${reps}] ${def.name.padEnd(19)} ${round(s.capturesPerSec).padStart(7)} captures/s, ` +
            `p50 ${round(s.latency.p50, 2)} p99 ${round(s.latency.p99, 2)} ms` +
            (s.runs !== null ? `, ${round(s.runsPerSec ?? NaN)} runs/s (${s.runsAsExpected}/${s.runs} as expected)` : '') +
            `, ${round(s.cpuUsPerOp ?? NaN)} µs CPU/op, RSS ${round(s.peakRssMb ?? NaN)} MB, ${s.captured} captured in ${round(s.wallMs / 1000, 1)} s`);
        } catch (e) {
          failures.push(`${def.name} rep ${rep}: ${(e as Error).stack ?? String(e)}`);
          log(`[rep ${rep}/${reps}] ${def.name} FAILED: ${String(e)}`);
        }
      }
    }
  } finally {
    await sink.stop();
  }

  const rows = [...buildRows(defs, limits, samples, counts.openRate), ...buildReceiverRows(rdefs, limits, rsamples, rcounts.rate)];
  const issues = [...problems(samples, limits), ...receiverProblems(rsamples), ...failures];
  if (machine.busyBeforeStart !== null && machine.busyBeforeStart > BUSY) {
    issues.unshift(`the machine was ${(machine.busyBeforeStart * 100).toFixed(0)} % busy before the run started: other processes compete with the benchmark`);
  }
  process.stdout.write(`\nSwitchyard benchmark — ${machine.cpus} CPUs, node ${machine.node}, ${reps} rep(s); median and min–max\n\n`);
  process.stdout.write(`${renderTable(rows)}\n`);
  process.stdout.write(`\nTargets (not checked): ≥ ${TARGETS.oneWebhookPerSec.toLocaleString('en-US')} deliveries/s with one webhook, ` +
    `≥ ${TARGETS.fanout10PerSec.toLocaleString('en-US')} with fan-out 10, p99 ≤ ${TARGETS.p99Ms} ms at ${counts.openRate} events/s, RSS ≤ ${TARGETS.rssMb} MB; ` +
    `receiver ≥ ${RECEIVER_TARGETS.capturesPerSec.toLocaleString('en-US')} captures/s and ≥ ${RECEIVER_TARGETS.ofBare * 100} % of bare node:http, p99 < ${RECEIVER_TARGETS.p99Ms} ms at ${rcounts.rate} req/s, ` +
    `flows ≥ ${RECEIVER_TARGETS.flowRunsPerSec.toLocaleString('en-US')} runs/s, Python step ≥ ${RECEIVER_TARGETS.pythonRunsPerSec} runs/s.\n`);
  if (issues.length) process.stdout.write(`\nProblems:\n${issues.map((i) => `  - ${i}`).join('\n')}\n`);

  const outDir = resolve(a.out ?? join(ROOT, 'bench', 'results'));
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    kind: 'switchyard-bench', version: 1, quick, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
    argv: process.argv.slice(2), machine, counts, receiverCounts: rcounts, reps, limitRequests, waitQuietMs: quietMs, retryBusy, targets: TARGETS,
    scenarios: defs.map((d) => ({ name: d.name, title: d.title, load: d.load, webhooks: d.webhooks, baseline: d.baseline ?? null })),
    receiverTargets: RECEIVER_TARGETS,
    receiverScenarios: rdefs, limits, samples, receiverSamples: rsamples, table: rows, problems: issues, discardedBusySamples: discarded,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nAll samples: ${file}\n`);
  if (profileDir) process.stdout.write(`CPU profiles of Switchyard: ${profileDir} (node dist/bench/profile.js ${profileDir})\n`);
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
