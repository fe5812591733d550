import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { request } from 'undici';
import { OutboundPolicy, SsrfError, checkUrl, guardedAgent, guardedLookup, isSsrfError } from './ssrf.js';
import type { Resolver } from './ssrf.js';

const none = new OutboundPolicy([]);

test('check: refuses every non-global address, allows public unicast', () => {
  const refused: Array<[string, RegExp]> = [
    ['169.254.169.254', /link-local address \(the cloud metadata service\)/],
    ['10.1.2.3', /private/], ['172.16.5.4', /private/], ['172.31.255.255', /private/], ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/], ['127.0.0.1', /loopback/], ['127.255.0.9', /loopback/],
    ['0.0.0.0', /unspecified/], ['0.1.2.3', /unspecified/], ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/], ['192.0.0.8', /reserved/], ['192.0.2.1', /documentation/],
    ['198.51.100.7', /reserved/], ['203.0.113.9', /reserved/], ['198.18.0.1', /benchmarking/], ['240.0.0.1', /reserved/],
    ['::1', /loopback/], ['::', /unspecified/], ['fe80::1', /link-local/], ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique-local/], ['fd00:ec2::254', /cloud metadata/], ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)/],
    ['::ffff:7f00:1', /embedding 127\.0\.0\.1/],
    ['::ffff:8.8.8.8', /IPv4-mapped IPv6 address \(embedding 8\.8\.8\.8, a public address\)/],
    ['::ffff:169.254.169.254', /embedding 169\.254\.169\.254, a link-local/],
    ['2001:db8::1', /reserved/], ['64:ff9b::a00:1', /NAT64/], ['2002:7f00:1::1', /6to4/],
    ['2001:0:4136:e378::1', /Teredo/], ['::ffff:0:7f00:1', /RFC 6145/], ['::127.0.0.1', /not a global unicast/],
    ['fec0::1', /site-local/], ['100::1', /discard/],
  ];
  for (const [ip, why] of refused) {
    const r = none.check(ip);
    assert.equal(r.ok, false, `${ip} should be refused`);
    if (!r.ok) {
      assert.match(r.reason, why, ip);
      assert.match(r.reason, /outbound\.allow \(SWITCHYARD_OUTBOUND_ALLOW\) includes it, e\.g\. /, ip);
    }
  }
  for (const ip of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
    assert.deepEqual(none.check(ip), { ok: true }, ip);
  }
  assert.equal(none.check('example.com').ok, false);
  assert.equal(none.check('2130706433').ok, false);
});

test('check: the reason says what to add to the allowlist', () => {
  const r = none.check('127.0.0.1');
  assert.deepEqual(r, {
    ok: false,
    reason: '127.0.0.1 is a loopback address; Switchyard does not send to private networks unless ' +
      'outbound.allow (SWITCHYARD_OUTBOUND_ALLOW) includes it, e.g. 127.0.0.0/8',
  });
  const example = (ip: string) => { const c = none.check(ip); return c.ok ? '' : c.reason.replace(/^.* e\.g\. /, ''); };
  assert.equal(example('::1'), '::1');
  assert.equal(example('10.1.2.3'), '10.1.2.3');
  assert.equal(example('::ffff:127.0.0.1'), '127.0.0.0/8');
  assert.equal(example('fd00:0:0::1'), 'fd00::1');
});

test('allowlist: CIDRs, bare addresses and IPv4-mapped addresses via their IPv4 range', () => {
  const p = new OutboundPolicy(['127.0.0.0/8', '::1', '10.1.2.3', ' 192.168.0.0/16 ', 'fd00::/8', '', '169.254.169.254/32']);
  for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '10.1.2.3', '192.168.44.1', 'fd00::2', '169.254.169.254',
    '::ffff:127.0.0.1', '::ffff:10.1.2.3', '::ffff:192.168.1.1', '8.8.8.8']) {
    assert.deepEqual(p.check(ip), { ok: true }, ip);
  }
  for (const ip of ['10.1.2.4', '10.0.0.1', '172.16.0.1', '::2', 'fc00::1', 'fe80::1', '::ffff:10.1.2.4', '::ffff:8.8.8.8', '169.254.169.253']) {
    assert.equal(p.check(ip).ok, false, ip);
  }
  assert.deepEqual(new OutboundPolicy(['0.0.0.0/0']).check('10.0.0.1'), { ok: true });
  assert.deepEqual(new OutboundPolicy(['::/0']).check('fe80::1'), { ok: true });
  assert.equal(new OutboundPolicy(['::/0']).check('127.0.0.1').ok, false, 'v6 ranges do not open plain IPv4');
  assert.deepEqual(new OutboundPolicy(['::ffff:0:0/96']).check('::ffff:127.0.0.1'), { ok: true });
  // "::127.0.0.1" is the IPv4-compatible ::7f00:1, not a mapped address: 127.0.0.0/8 does not open it.
  assert.equal(new OutboundPolicy(['127.0.0.0/8']).check('::127.0.0.1').ok, false);
  assert.deepEqual(new OutboundPolicy(['::127.0.0.1']).check('::7f00:1'), { ok: true });
});

test('allowlist: bad entries throw, naming the entry', () => {
  for (const bad of ['10.0.0.0/33', '::1/129', 'localhost', '10/8', '0x7f.1', '010.0.0.1', '10.0.0.0/', '10.0.0.0/8/8',
    '10.0.0.0/-1', '10.0.0.0/08', '1.2.3', '::1%lo', '*', '10.0.0.0 /8']) {
    assert.throws(() => new OutboundPolicy([bad]), (e: Error) => {
      assert.equal(e.message, `outbound.allow: ${JSON.stringify(bad)} is not a CIDR range such as 10.0.0.0/8 or ::1/128`);
      return true;
    }, bad);
  }
  assert.throws(() => new OutboundPolicy(['127.0.0.0/8', '192.168.1.5/16']),
    /outbound\.allow: "192\.168\.1\.5\/16" has host bits set; did you mean 192\.168\.0\.0\/16\?/);
  assert.throws(() => new OutboundPolicy(['fd00::1/8']), /did you mean fd00::\/8\?/);
});

test('checkUrl: IP literals in any spelling, localhost names, schemes', () => {
  for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/',
    'http://127.0.0.1./', 'http://[::1]:8080/x', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'http://0/',
    'https://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', 'http://10.0.0.1:9000/hook',
    'http://localhost/', 'http://LOCALHOST./', 'http://api.localhost:3000/', 'http://user:pw@localhost/']) {
    assert.equal(checkUrl(none, url).ok, false, url);
  }
  const r = checkUrl(none, 'http://0x7f.1/');
  assert.ok(!r.ok && r.reason.startsWith('127.0.0.1 is a loopback address'));
  const l = checkUrl(none, 'http://api.localhost/');
  assert.ok(!l.ok && /^api\.localhost is a loopback name; .* e\.g\. 127\.0\.0\.0\/8,::1$/.test(l.reason));
  for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'gopher://x/', 'not a url', 'http://']) {
    assert.equal(checkUrl(none, url).ok, false, url);
  }
  for (const url of ['https://example.com/hook', 'http://8.8.8.8/', 'https://[2606:4700:4700::1111]/', 'http://localhost.example.com/']) {
    assert.deepEqual(checkUrl(none, url), { ok: true }, url);
  }
  const loop = new OutboundPolicy(['127.0.0.0/8']);
  for (const url of ['http://localhost:3000/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/']) {
    assert.deepEqual(checkUrl(loop, url), { ok: true }, url);
  }
  assert.equal(checkUrl(loop, 'http://[::1]/').ok, false);
  assert.deepEqual(checkUrl(new OutboundPolicy(['::1']), 'http://localhost/'), { ok: true });
});

function fakeResolver(addresses: LookupAddress[], calls: Array<{ hostname: string; options: object }> = []): Resolver {
  return (hostname, options, callback) => {
    calls.push({ hostname, options });
    setImmediate(() => callback(null, addresses));
  };
}

type LookupResult = { err: NodeJS.ErrnoException | null; address: unknown; family: number | undefined };
function runLookup(lookup: net.LookupFunction, options: Parameters<net.LookupFunction>[1]): Promise<LookupResult> {
  return new Promise((resolve) => lookup('hooks.example.test', options, (err, address, family) => resolve({ err, address, family })));
}

const mixed: LookupAddress[] = [
  { address: '10.0.0.5', family: 4 }, { address: '127.0.0.1', family: 4 }, { address: '93.184.216.34', family: 4 },
  { address: '::1', family: 6 }, { address: '2606:4700:4700::1111', family: 6 },
];

test('guardedLookup: drops refused addresses, all:true and all:false', async () => {
  const calls: Array<{ hostname: string; options: object }> = [];
  const lookup = guardedLookup(none, fakeResolver(mixed, calls));
  const all = await runLookup(lookup, { all: true });
  assert.equal(all.err, null);
  assert.deepEqual(all.address, [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700:4700::1111', family: 6 }]);
  const one = await runLookup(lookup, { family: 4, hints: 0 });
  assert.deepEqual([one.err, one.address, one.family], [null, '93.184.216.34', 4]);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1], { hostname: 'hooks.example.test', options: { family: 4, hints: 0, all: true } });
  const privateOnly = mixed.filter((a) => !['93.184.216.34', '2606:4700:4700::1111'].includes(a.address));
  const loop = await runLookup(guardedLookup(new OutboundPolicy(['::1']), fakeResolver(privateOnly)), {});
  assert.deepEqual([loop.address, loop.family], ['::1', 6]);
});

test('guardedLookup: nothing allowed -> ESSRF error with the reason; resolver errors pass through', async () => {
  const lookup = guardedLookup(none, fakeResolver([{ address: '169.254.169.254', family: 4 }, { address: '::1', family: 6 }]));
  for (const all of [true, false]) {
    const { err } = await runLookup(lookup, { all });
    assert.ok(err instanceof SsrfError);
    assert.equal(err.code, 'ESSRF');
    assert.equal(err.hostname, 'hooks.example.test');
    assert.equal(err.address, '169.254.169.254');
    assert.match(err.message, /^refused hooks\.example\.test: 169\.254\.169\.254 is a link-local address/);
    assert.ok(isSsrfError(err));
  }
  const nx = Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' });
  const failing: Resolver = (_h, _o, cb) => cb(nx, []);
  assert.equal((await runLookup(guardedLookup(none, failing), { all: true })).err, nx);
  const empty = await runLookup(guardedLookup(none, fakeResolver([])), {});
  assert.equal(empty.err?.code, 'ENOTFOUND');
  assert.equal(isSsrfError(empty.err), false);
});

test('isSsrfError: top level and wrapped causes', () => {
  assert.ok(isSsrfError(new SsrfError('x')));
  assert.ok(isSsrfError({ code: 'ESSRF' }));
  assert.ok(isSsrfError(new TypeError('fetch failed', { cause: new SsrfError('x') })));
  assert.ok(isSsrfError(new Error('a', { cause: new Error('b', { cause: new SsrfError('x') }) })));
  for (const e of [undefined, null, 'ESSRF', new Error('x'), Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) {
    assert.equal(isSsrfError(e), false);
  }
});

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const server = http.createServer((_req, res) => res.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function refusal(url: string, policy: OutboundPolicy): Promise<unknown> {
  const agent = guardedAgent(policy);
  try {
    await request(url, { dispatcher: agent });
  } catch (e) {
    return e;
  } finally {
    await agent.close();
  }
  assert.fail(`${url} should have been refused`);
}

test('guardedAgent: a real undici request to a loopback server is refused, and allowed via the allowlist', async () => {
  await withServer(async (port) => {
    for (const url of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      const err = (await refusal(url, none)) as { code?: string; cause?: { code?: string }; message: string };
      assert.ok(err.code === 'ESSRF' || err.cause?.code === 'ESSRF', `${url}: ${String(err.code)} ${err.message}`);
      assert.ok(isSsrfError(err));
      assert.match(err.message, /loopback|IPv4-mapped/);
    }
    const open = guardedAgent(new OutboundPolicy(['127.0.0.0/8', '::1']), { connections: 2 });
    try {
      for (const url of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`]) {
        const res = await request(url, { dispatcher: open });
        assert.equal(res.statusCode, 200);
        assert.equal(await res.body.text(), 'hello');
      }
    } finally {
      await open.close();
    }
  });
});

test('guardedLookup with net.connect: connects to exactly the address it checked, resolving once', async () => {
  await withServer(async (port) => {
    const calls: Array<{ hostname: string; options: object }> = [];
    const resolver = fakeResolver([{ address: '10.9.9.9', family: 4 }, { address: '127.0.0.1', family: 4 }], calls);
    const lookup = guardedLookup(new OutboundPolicy(['127.0.0.0/8']), resolver);
    const remote = await new Promise<string | undefined>((resolve, reject) => {
      const socket = net.connect({ host: 'rebind.example.test', port, lookup, autoSelectFamily: false }, () => {
        resolve(socket.remoteAddress);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    assert.equal(remote, '127.0.0.1');
    assert.equal(calls.length, 1);
    const err = await new Promise<Error>((resolve) => {
      net.connect({ host: 'rebind.example.test', port, lookup: guardedLookup(none, resolver) }).on('error', resolve);
    });
    assert.ok(isSsrfError(err));
  });
});

test('guardedAgent: rejects a custom connect function it cannot guard', () => {
  assert.throws(() => guardedAgent(none, { connect: (_o, cb) => cb(new Error('x'), null) }), TypeError);
});
