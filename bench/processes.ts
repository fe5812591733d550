/**
 * The processes a benchmark run starts, each on loopback only: Switchyard (`bin/switchyard.js serve` on a fresh data
 * dir) with an RSS sampler, and sinks (bench/sink.ts, forked with an IPC channel).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { launcherNodeFlags } from '../src/launcher-flags.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SinkCounts, SinkReply, SinkRequest } from './sink.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs as dist/bench/processes.js). */
export const ROOT = resolve(here, '..', '..');
export const BIN = join(ROOT, 'bin', 'switchyard.js');
export const ADMIN_TOKEN = 'sy_bench_admin_token_0123456789abcdef';

export const now = (): number => performance.timeOrigin + performance.now();

/** Children still running: killed if the harness exits early (an error, Ctrl-C). */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
function track(c: ChildProcess): void {
  live.add(c);
  c.once('exit', () => live.delete(c));
}

/** Peak resident memory of a process: /proc/<pid>/status every `everyMs` (VmHWM, else the highest VmRSS seen). */
export class RssSampler {
  private timer: NodeJS.Timeout;
  peakKb = 0;
  lastKb = 0;
  samples = 0;

  constructor(private readonly pid: number, everyMs = 100) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    let text: string;
    try {
      text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return; // not Linux, or the process is gone
    }
    const rss = /VmRSS:\s+(\d+)/.exec(text);
    const hwm = /VmHWM:\s+(\d+)/.exec(text);
    if (rss) this.lastKb = Number(rss[1]);
    this.peakKb = Math.max(this.peakKb, this.lastKb, hwm ? Number(hwm[1]) : 0);
    this.samples++;
  }

  /** Peak RSS in MB, or null where /proc is not available. */
  stop(): number | null {
    this.sample();
    clearInterval(this.timer);
    return this.samples > 0 ? this.peakKb / 1024 : null;
  }
}

export interface SwitchyardProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Its data dir (the SQLite file is dataDir/switchyard.db): the receiver scenarios read run states from it. */
  dataDir: string;
  rss: RssSampler;
  output(): string;
  /** Ends the process (SIGTERM when profiling, so the CPU profile is written; else SIGKILL) and removes its data. */
  stop(): Promise<void>;
}

/** Starts `switchyard serve --port 0` on a fresh temporary data dir and waits for its banner. */
export async function startSwitchyard(opts: { profileDir?: string; timeoutMs?: number } = {}): Promise<SwitchyardProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SWITCHYARD_') && !k.startsWith('DET_WEBHOOKS_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  Object.assign(env, {
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN, SWITCHYARD_OUTBOUND_ALLOW: '127.0.0.0/8', SWITCHYARD_LOG_LEVEL: 'warn',
  });
  // A/B runs: BENCH_SY_<NAME>=v reaches Switchyard as SWITCHYARD_<NAME>=v (e.g. BENCH_SY_DELIVERY_SEND_THREAD=false).
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BENCH_SY_') && v !== undefined) env[`SWITCHYARD_${k.slice('BENCH_SY_'.length)}`] = v;
  }
  // As users run it: the launcher's own flags first (src/launcher-flags.ts).
  const nodeArgs = [...launcherNodeFlags(BIN), ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [])];
  // A/B runs of V8 or Node flags: BENCH_NODE_ARGS="--max-semi-space-size=32".
  if (process.env.BENCH_NODE_ARGS) nodeArgs.push(...process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean));
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT,
  });
  track(child);
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-64 * 1024); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timeoutMs = opts.timeoutMs ?? 20_000;
      const t = setTimeout(() => reject(new Error(`switchyard did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      const check = () => {
        const m = /API:\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out);
        if (m) { clearTimeout(t); resolveUrl(m[1]!); }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`switchyard exited with ${code} before it was ready:\n${out}`)); });
    });
    const rss = new RssSampler(child.pid!);
    return {
      child, pid: child.pid!, url, dataDir, rss, output: () => out,
      async stop() {
        rss.stop();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill(opts.profileDir ? 'SIGTERM' : 'SIGKILL');
          const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(t);
        }
        cleanup();
      },
    };
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw e;
  }
}

export interface SinkProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  count(): Promise<SinkCounts>;
  /** Counts and every recorded delivery, flattened (see RECORD_WIDTH in sink.ts). */
  records(): Promise<{ counts: SinkCounts; records: number[] }>;
  reset(): Promise<SinkCounts>;
  /** Resolves once `ok` deliveries reached `n` (or `timeoutMs` passed); returns the last counts. */
  waitFor(n: number, timeoutMs: number): Promise<SinkCounts>;
  stop(): Promise<void>;
}

/** Forks a sink (`record` or `bare` mode) and waits until it listens. */
export async function startSink(mode: 'record' | 'bare'): Promise<SinkProcess> {
  const child = fork(join(here, 'sink.js'), [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env: { ...process.env, NODE_OPTIONS: '' } });
  track(child);
  const pending = new Map<number, (r: SinkReply) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolvePort, reject) => {
    const t = setTimeout(() => reject(new Error('sink did not start within 10 s')), 10_000);
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`sink exited with ${code}`)); });
    child.on('message', (m: { ready?: boolean; port?: number } & Partial<SinkReply>) => {
      if (m.ready) { clearTimeout(t); resolvePort(m.port!); return; }
      const cb = m.id !== undefined ? pending.get(m.id) : undefined;
      if (cb) { pending.delete(m.id!); cb(m as SinkReply); }
    });
  });
  const ask = (cmd: SinkRequest['cmd']) => new Promise<SinkReply>((r, reject) => {
    if (!child.connected) return reject(new Error('sink is gone'));
    const id = nextId++;
    pending.set(id, r);
    child.send({ id, cmd } satisfies SinkRequest);
  });
  return {
    child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`,
    count: async () => (await ask('count')).counts,
    records: async () => { const r = await ask('records'); return { counts: r.counts, records: r.records ?? [] }; },
    reset: async () => (await ask('reset')).counts,
    async waitFor(n, timeoutMs) {
      const until = now() + timeoutMs;
      for (;;) {
        const c = (await ask('count')).counts;
        if (c.ok >= n || now() > until) return c;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
