/**
 * The Node and V8 flags Switchyard runs with, as its launcher's first line gives them
 * (`#!/usr/bin/env -S node --max-semi-space-size=8` in bin/switchyard.js; `npm start` passes the same). Whatever starts
 * Switchyard with `node bin/switchyard.js` itself (the benchmark, the process tests) adds these, so it measures and
 * tests the server as users run it.
 */
import { readFileSync } from 'node:fs';

export function launcherNodeFlags(binPath: string): string[] {
  const first = readFileSync(binPath, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env(?:\s+-S)?\s+node((?:\s+--\S+)*)\s*$/.exec(first);
  if (!m) throw new Error(`${binPath}: its first line is not a "#!/usr/bin/env -S node [flags]" line: ${first}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}
