/**
 * Where the machine's CPU went during a measurement (Linux /proc; elsewhere every figure is null):
 * the cores each of our processes used, and the share of the machine that processes outside the benchmark took —
 * a run on a machine that is busy with something else measures that, not Switchyard.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Above this share of the machine taken by other processes, a sample does not measure Switchyard alone. */
export const BUSY = 0.15;

export interface CpuUse {
  /** Cores used by each named process (1 = one core fully busy). */
  cores: Record<string, number>;
  /** Fraction of the whole machine busy with processes outside the benchmark (0–1). */
  other: number;
}

function machineTicks(): { total: number; busy: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { total, busy: total - idle };
  } catch {
    return null;
  }
}

/** utime + stime of a process and its waited-for children, in clock ticks. */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return (f[11] ?? 0) + (f[12] ?? 0);
  } catch {
    return 0;
  }
}

export class CpuMeter {
  private readonly m0: { total: number; busy: number } | null;
  private readonly p0: Map<string, number>;

  constructor(private readonly pids: Record<string, number>) {
    this.p0 = new Map(Object.entries(pids).map(([k, pid]) => [k, processTicks(pid)]));
    this.m0 = machineTicks();
  }

  stop(): CpuUse | null {
    const m1 = machineTicks();
    if (!this.m0 || !m1 || m1.total <= this.m0.total) return null;
    const dTotal = m1.total - this.m0.total;
    const perCore = dTotal / cpus().length; // ticks one core had in this interval
    const cores: Record<string, number> = {};
    let ours = 0;
    for (const [k, pid] of Object.entries(this.pids)) {
      const d = processTicks(pid) - (this.p0.get(k) ?? 0);
      ours += d;
      cores[k] = d / perCore;
    }
    const other = Math.max(0, (m1.busy - this.m0.busy - ours) / dTotal);
    return { cores, other };
  }
}

/** The machine's busy share over `ms` (before a run: is something else running?). */
export async function machineBusy(ms = 1000): Promise<number | null> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  if (!a || !b || b.total <= a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}

/** Waits (up to `maxMs`) until the machine is below `threshold` busy over one second; returns the last reading. */
export async function waitQuiet(maxMs: number, threshold = BUSY): Promise<{ busy: number | null; waitedMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const busy = await machineBusy(1000);
    const waitedMs = Date.now() - t0;
    if (busy === null || busy < threshold || waitedMs >= maxMs) return { busy, waitedMs };
  }
}
