/**
 * Locates the shared test vectors (`<repo>/../shared/spec/vectors.json`) at run time.
 *
 * Tests run from compiled output (dist/…), and CI clones the repo elsewhere with `shared/` beside it, so the path
 * is derived by walking up from this module to the repo root (the nearest directory holding package.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DeterminedVector {
  source: string;
  key: string;
  timestamp: number;
  body: string;
  signature: string;
}

export interface RenderVector {
  about: string;
  input: {
    event_id: string;
    timestamp: number;
    experiment: {
      id: number;
      state: string;
      name: string;
      duration: number;
      resource_pool: string;
      slots_per_trial: number;
      workspace: string;
      project: string;
      trial_id?: number;
    };
  };
  expected_body: string;
}

export interface StandardVector {
  source: string;
  secret: string;
  public_key?: string;
  msg_id: string;
  /** Absent on the must_fail vector: verify it at any timestamp. */
  timestamp?: number;
  body: string;
  signature: string;
  must_fail?: boolean;
}

export interface Vectors {
  determined: DeterminedVector[];
  render: RenderVector[];
  standard_webhooks: StandardVector[];
}

let cachedRoot: string | undefined;

/** The repository root: the nearest ancestor of this module that holds a package.json. */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repoRoot: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Path of the shared spec directory (`<repo>/../shared/spec`). */
export function sharedSpecDir(): string {
  return resolve(repoRoot(), '..', 'shared', 'spec');
}

/** Reads and minimally checks vectors.json. Throws with the path tried when it is missing. */
export function loadVectors(): Vectors {
  const path = join(sharedSpecDir(), 'vectors.json');
  if (!existsSync(path)) throw new Error(`loadVectors: ${path} not found (shared/ must sit beside the repo)`);
  const v = JSON.parse(readFileSync(path, 'utf8')) as Vectors;
  for (const k of ['determined', 'render', 'standard_webhooks'] as const) {
    if (!Array.isArray(v[k]) || v[k].length === 0) throw new Error(`loadVectors: ${path} has no "${k}" vectors`);
  }
  return v;
}
