/**
 * Wipes what a run wrote to Pyodide's in-memory file system (the only file system the interpreter has: the host's is
 * never mounted). Mutating FS calls set a dirty flag; only a dirty run pays for the walk. Files and directories that
 * did not exist at warm-up are removed; if a file that existed at warm-up was changed or removed, the interpreter
 * cannot be put back cheaply and the caller replaces the worker.
 */

/** The part of Emscripten's FS API this module uses. */
export interface EmscriptenFs {
  readdir(path: string): string[];
  lstat(path: string): { mode: number; size: number; mtime: Date | number };
  isDir(mode: number): boolean;
  unlink(path: string): void;
  rmdir(path: string): void;
  [name: string]: unknown;
}

const O_ACCMODE = 3;
const O_CREAT = 64;
const O_TRUNC = 512;
const MUTATORS = [
  'mkdir', 'mknod', 'mkdev', 'rmdir', 'unlink', 'rename', 'symlink', 'chmod', 'fchmod', 'lchmod', 'chown', 'fchown',
  'lchown', 'truncate', 'ftruncate', 'utime', 'writeFile', 'create', 'createDataFile', 'createPath',
];
/** Kernel-like trees whose content is not user data. */
const SKIP = new Set(['/dev', '/proc']);

type Entry = string; // "mode:size:mtime"

function walk(fs: EmscriptenFs, dir: string, out: Map<string, Entry>): void {
  for (const name of fs.readdir(dir)) {
    if (name === '.' || name === '..') continue;
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if (SKIP.has(path)) continue;
    const st = fs.lstat(path);
    out.set(path, `${st.mode}:${st.size}:${Number(st.mtime)}`);
    if (fs.isDir(st.mode)) walk(fs, path, out);
  }
}

export class MemFsReset {
  private dirty = false;
  private readonly baseline = new Map<string, Entry>();

  constructor(private readonly fs: EmscriptenFs) {
    const self = this;
    const fsObj = fs as Record<string, unknown>;
    const open = fsObj['open'];
    if (typeof open === 'function') {
      fsObj['open'] = function (this: unknown, path: unknown, flags: unknown, ...rest: unknown[]) {
        const f = typeof flags === 'number' ? flags : O_CREAT; // string flags ("w", "a") only come from writers
        if ((f & O_ACCMODE) !== 0 || (f & (O_CREAT | O_TRUNC)) !== 0) self.dirty = true;
        return open.call(this, path, flags, ...rest);
      };
    }
    for (const name of MUTATORS) {
      const fn = fsObj[name];
      if (typeof fn !== 'function') continue;
      fsObj[name] = function (this: unknown, ...args: unknown[]) {
        self.dirty = true;
        return fn.apply(this, args);
      };
    }
  }

  /** Records the current tree as the state every run starts from. */
  snapshot(): void {
    this.baseline.clear();
    walk(this.fs, '/', this.baseline);
    this.dirty = false;
  }

  /** Removes what the last run added. Returns false when the run changed pre-existing files (replace the worker). */
  reset(): boolean {
    if (!this.dirty) return true;
    this.dirty = false;
    const now = new Map<string, Entry>();
    walk(this.fs, '/', now);
    let intact = true;
    for (const [path, entry] of this.baseline) {
      if (now.get(path) !== entry && !this.fs.isDir(Number(entry.split(':')[0]))) intact = false;
      if (!now.has(path)) intact = false;
    }
    const added = [...now.keys()].filter((p) => !this.baseline.has(p)).sort((a, b) => b.length - a.length);
    for (const path of added) {
      try {
        const mode = Number(now.get(path)?.split(':')[0]);
        if (this.fs.isDir(mode)) this.fs.rmdir(path);
        else this.fs.unlink(path);
      } catch {
        intact = false;
      }
    }
    this.dirty = false;
    return intact;
  }
}
