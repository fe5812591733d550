/** Real `switchyard` processes for end-to-end and crash tests. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './vectors.js';
import { launcherNodeFlags } from '../../src/launcher-flags.js';

export const BIN = join(repoRoot(), 'bin', 'switchyard.js');

export interface ServerProcess { child: ChildProcess; url: string; output: () => string; kill(signal?: NodeJS.Signals): Promise<number | null> }

/** Starts `switchyard serve` and resolves once it prints its banner. */
export async function spawnServer(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...launcherNodeFlags(BIN), BIN, 'serve', ...args], {
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn', SWITCHYARD_OUTBOUND_ALLOW: '127.0.0.0/8,::1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /API:\s+(http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  return {
    child, url, output: () => out,
    kill(signal = 'SIGKILL') {
      return new Promise((resolve) => {
        // Already ended: by itself (exitCode) or by a signal (signalCode; exitCode stays null then).
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

/** Runs the CLI to completion. */
export function cli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A JSON API client for a server that restarts (its URL is read at each call): asserts a 200 (the message is the
 * server's answer) and returns the parsed body.
 */
export function apiCaller(getUrl: () => string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${getUrl()}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    return JSON.parse(text);
  };
}
