/**
 * Summarizes V8 CPU profiles (`.cpuprofile`, as `node --cpu-prof` writes them; `npm run bench -- --profile DIR`
 * profiles every Switchyard process of a run): where the CPU went, by area (a package, a folder of src/, Node's
 * internals, GC, idle) and by function, self time only.
 *
 *   node dist/bench/profile.js <file.cpuprofile | folder> [--top N]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** The area a script belongs to: `pkg:<name>`, `src/<folder>`, `node:<module>`, or V8's pseudo-frames. */
export function areaOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const src = /dist\/(src\/[^/]+|bench)\//.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  totalMs: number;
  areas: [string, number][];
  functions: [string, number][];
  /** Switchyard's own functions (dist/src) with everything they called synchronously (async parts: per resumption). */
  inclusive: [string, number][];
}

function label(f: ProfileNode['callFrame']): string {
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export function summarize(profiles: CpuProfile[]): ProfileSummary {
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  const incl = new Map<string, number>();
  let totalMs = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // The Switchyard functions on each node's stack, each once.
    const ownStack = new Map<number, string[]>();
    const own = (id: number): string[] => {
      let r = ownStack.get(id);
      if (r) return r;
      const n = byId.get(id);
      const up = parent.has(id) ? own(parent.get(id)!) : [];
      r = n && /\/dist\/src\//.test(n.callFrame.url) && !up.includes(label(n.callFrame)) ? [...up, label(n.callFrame)] : up;
      ownStack.set(id, r);
      return r;
    };
    for (let i = 0; i < p.samples.length; i++) {
      const node = byId.get(p.samples[i]!);
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      if (!node) continue;
      totalMs += ms;
      const area = areaOf(node.callFrame.url, node.callFrame.functionName);
      areas.set(area, (areas.get(area) ?? 0) + ms);
      const key = label(node.callFrame);
      fns.set(key, (fns.get(key) ?? 0) + ms);
      for (const f of own(node.id)) incl.set(f, (incl.get(f) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs, areas: sorted(areas), functions: sorted(fns), inclusive: sorted(incl) };
}

export function render(s: ProfileSummary, top: number): string {
  const pct = (ms: number) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)} %`;
  const busy = s.totalMs - (s.areas.find(([a]) => a === '(idle)')?.[1] ?? 0);
  const lines = [`${(s.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s not idle`, '', 'self time by area:'];
  for (const [a, ms] of s.areas.slice(0, top)) lines.push(`  ${pct(ms)}  ${a}`);
  lines.push('', 'self time by function:');
  for (const [f, ms] of s.functions.slice(0, top)) lines.push(`  ${pct(ms)}  ${f}`);
  lines.push('', "Switchyard's functions, total time (with what they call synchronously):");
  for (const [f, ms] of s.inclusive.slice(0, top)) lines.push(`  ${pct(ms)}  ${f}`);
  return lines.join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
  const files = positionals.flatMap((p) => (statSync(p).isDirectory()
    ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p]));
  if (files.length === 0) {
    process.stderr.write('usage: node dist/bench/profile.js <file.cpuprofile | folder> [--top N]\n');
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  process.stdout.write(`${files.length} profile(s)\n${render(summarize(profiles), Number(values.top ?? 25))}\n`);
}

if (process.argv[1] && /profile\.js$/.test(process.argv[1])) main();
