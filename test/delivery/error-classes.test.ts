/**
 * The attempt log's error classes, each from a real failure: DNS (a name that cannot resolve), connect (nothing
 * listening), TLS (https to a plain HTTP port), reset (a server that drops the connection mid-request), timeout (a
 * server that never answers); and the remote address recorded per attempt: the one this attempt reached or tried,
 * never one left over from an earlier attempt to the same origin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpSender } from '../../src/delivery/http-sender.js';
import { OutboundPolicy } from '../../src/delivery/ssrf.js';
import { FakeClock } from '../helpers/fake-clock.js';

function sender(timeoutMs = 5000): HttpSender {
  return new HttpSender({ signingKey: () => 'k', timeoutMs, clock: new FakeClock(), policy: new OutboundPolicy(['127.0.0.0/8', '::1']) });
}
const req = (url: string) => ({ url, body: '{"a":1}', contentType: 'application/json', signed: true, eventId: 'e1', standardSecrets: [] });

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('a name that does not resolve is a DNS error, with no remote address', async () => {
  const s = sender();
  try {
    const r = await s.send(req('http://switchyard-test-host.invalid/hook'));
    assert.equal(r.outcome, 'dns', r.error ?? '');
    assert.match(r.error!, /DNS lookup failed/);
    assert.equal(r.remoteAddress, null);
  } finally {
    await s.close();
  }
});

test('nothing listening is a connect error at the address tried, not the address of an earlier attempt', async () => {
  const server = http.createServer((_q, res) => res.end('ok'));
  const port = await listen(server);
  const s = sender();
  try {
    // localhost may resolve to ::1 or 127.0.0.1: the first attempt records the one it reached.
    const ok = await s.send(req(`http://localhost:${port}/hook`));
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.remoteAddress, '127.0.0.1');
    await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
    // A different port of a host that was reached before: refused, and the address is this attempt's.
    const refused = await s.send(req(`http://127.0.0.2:${port}/hook`));
    assert.equal(refused.outcome, 'connect', refused.error ?? '');
    assert.equal(refused.remoteAddress, '127.0.0.2');
    const again = await s.send(req(`http://localhost:${port}/hook`));
    assert.equal(again.outcome, 'connect', again.error ?? '');
    assert.ok(again.remoteAddress === '127.0.0.1' || again.remoteAddress === '::1', `tried address, got ${again.remoteAddress}`);
  } finally {
    await s.close();
  }
});

test('https to a plain HTTP port is a TLS error', async () => {
  const server = http.createServer((_q, res) => res.end('plain'));
  const port = await listen(server);
  const s = sender();
  try {
    const r = await s.send(req(`https://127.0.0.1:${port}/hook`));
    assert.equal(r.outcome, 'tls', `${r.outcome}: ${r.error}`);
    assert.match(r.error!, /^TLS error/);
  } finally {
    await s.close();
    server.closeAllConnections();
    server.close();
  }
});

test('a connection dropped mid-request is a reset; a server that never answers is a timeout', async () => {
  // Reads the request, then drops the connection without a byte of response.
  const dropper = net.createServer((sock) => { sock.once('data', () => sock.destroy()); });
  const silent = net.createServer(() => {});
  const [dropPort, silentPort] = [await listen(dropper), await listen(silent)];
  const s = sender(300);
  try {
    const reset = await s.send(req(`http://127.0.0.1:${dropPort}/hook`));
    assert.equal(reset.outcome, 'reset', `${reset.outcome}: ${reset.error}`);
    assert.equal(reset.remoteAddress, '127.0.0.1');
    const hung = await s.send(req(`http://127.0.0.1:${silentPort}/hook`));
    assert.equal(hung.outcome, 'timeout', `${hung.outcome}: ${hung.error}`);
    assert.equal(hung.remoteAddress, '127.0.0.1');
  } finally {
    await s.close().catch(() => {});
    dropper.close();
    silent.close();
  }
});
