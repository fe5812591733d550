// SSRF guard for every outbound request Switchyard makes (webhook deliveries,
// HTTP steps of flows). The sender resolves hosts itself and refuses anything
// that is not globally routable unicast unless `outbound.allow`
// (SWITCHYARD_OUTBOUND_ALLOW) opens it. The check runs inside the socket's own
// `lookup`, so the address that is checked is the address that is connected
// to: there is no DNS-rebinding window between check and connect.
import dns from 'node:dns';
import net from 'node:net';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

type IP = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [IP, number];
export type CheckResult = { ok: true } | { ok: false; reason: string };

/** The error class a refusal is recorded as: `code === 'ESSRF'`. */
export class SsrfError extends Error {
  readonly code = 'ESSRF' as const;
  constructor(message: string, readonly hostname?: string, readonly address?: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

const RANGE_TEXT: Record<string, string> = {
  unspecified: 'an unspecified ("this network") address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  reserved: 'a reserved, documentation or benchmarking address',
  benchmarking: 'a benchmarking address',
  uniqueLocal: 'a unique-local (fc00::/7) address',
  deprecatedSiteLocal: 'a site-local (fec0::/10) address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  rfc6145: 'an IPv4-translated (RFC 6145) address',
  rfc6052: 'a NAT64 (64:ff9b::/96) address embedding an IPv4 address',
  '6to4': 'a 6to4 (2002::/16) address embedding an IPv4 address',
  teredo: 'a Teredo (2001::/32) address embedding an IPv4 address',
  discard: 'a discard-only (100::/64) address',
  as112: 'an AS112 anycast address',
  as112v6: 'an AS112 anycast address',
  amt: 'an AMT relay anycast address',
};

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);
const GLOBAL_V6: Cidr = ipaddr.IPv6.parseCIDR('2000::/3');

function describe(addr: IP): string {
  const range = addr.range() as string;
  const text = RANGE_TEXT[range] ?? (range === 'unicast' ? 'not a global unicast address' : `a special-purpose (${range}) address`);
  return METADATA.has(addr.toString()) ? `${text} (the cloud metadata service)` : text;
}

function suggestion(addr: IP): string {
  if (addr.kind() === 'ipv4') return addr.range() === 'loopback' ? '127.0.0.0/8' : addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return suggestion(v6.toIPv4Address());
  return v6.range() === 'loopback' ? '::1' : v6.toRFC5952String();
}

function refusal(shown: string, what: string, example: string): { ok: false; reason: string } {
  return {
    ok: false,
    reason: `${shown} is ${what}; Switchyard does not send to private networks unless outbound.allow ` +
      `(SWITCHYARD_OUTBOUND_ALLOW) includes it, e.g. ${example}`,
  };
}

/**
 * Parses a literal address the way the socket will see it. IPv6 goes through
 * the WHATWG serialiser first: ipaddr.js reads the deprecated "::a.b.c.d" as
 * ::ffff:a.b.c.d, which is not the address net.connect would use.
 */
function parseIp(ip: string): IP | undefined {
  const family = net.isIP(ip);
  if (family === 4) return ipaddr.IPv4.parse(ip);
  if (family !== 6) return undefined;
  const bare = ip.replace(/%.*$/, '');
  return ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
}

function parseAllowEntry(raw: string): Cidr {
  const entry = raw.trim();
  const bad = new Error(`outbound.allow: ${JSON.stringify(raw)} is not a CIDR range such as 10.0.0.0/8 or ::1/128`);
  const slash = entry.indexOf('/');
  const host = slash < 0 ? entry : entry.slice(0, slash);
  const prefixText = slash < 0 ? undefined : entry.slice(slash + 1);
  // Only canonical spellings: no "10/8", "0x7f.1" or octal; no zone IDs.
  if (host.includes('%') || (net.isIPv4(host) && !ipaddr.IPv4.isValidFourPartDecimal(host))) throw bad;
  const addr = parseIp(host);
  if (addr === undefined) throw bad;
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) throw bad;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) throw bad;
  const cidr = `${addr.toString()}/${prefix}`;
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toNormalizedString() !== addr.toNormalizedString()) {
    throw new Error(`outbound.allow: ${JSON.stringify(raw)} has host bits set; did you mean ${network.toString()}/${prefix}?`);
  }
  return [addr, prefix];
}

export class OutboundPolicy {
  readonly #allow: Cidr[];

  /** @param allow CIDR ranges or single addresses; blank entries are ignored. Throws on a bad entry. */
  constructor(allow: readonly string[]) {
    this.#allow = allow.filter((e) => e.trim() !== '').map(parseAllowEntry);
  }

  #allowed(addr: IP): boolean {
    return this.#allow.some(([net_, bits]) => net_.kind() === addr.kind() && addr.match(net_, bits));
  }

  /** Is `ip` (a literal address, as returned by dns.lookup) one Switchyard may connect to? */
  check(ip: string): CheckResult {
    const addr = parseIp(ip);
    if (addr === undefined) return { ok: false, reason: `${JSON.stringify(ip)} is not an IP address` };
    if (this.#allowed(addr)) return { ok: true };
    let what: string;
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      const v4 = (addr as ipaddr.IPv6).toIPv4Address();
      if (this.#allowed(v4)) return { ok: true };
      const inner = v4.range() === 'unicast' ? 'a public address' : describe(v4);
      what = `an IPv4-mapped IPv6 address (embedding ${v4.toString()}, ${inner})`;
    } else if (addr.range() !== 'unicast') {
      what = describe(addr);
    } else if (addr.kind() === 'ipv6' && !addr.match(GLOBAL_V6)) {
      what = 'not a global unicast (2000::/3) address';
    } else {
      return { ok: true };
    }
    return refusal(ip, what, suggestion(addr));
  }
}

export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net.connect / tls.connect: resolves all addresses, drops the
 * ones the policy refuses, and hands the rest to the socket, which connects to
 * exactly those. If none is left, fails with an SsrfError (code ESSRF).
 */
export function guardedLookup(policy: OutboundPolicy, resolve: Resolver = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed: LookupAddress[] = [];
      let refusal: string | undefined;
      let refusedAddress: string | undefined;
      for (const a of addresses) {
        const result = policy.check(a.address);
        if (result.ok) allowed.push(a);
        else if (refusal === undefined) [refusal, refusedAddress] = [result.reason, a.address];
      }
      const first = allowed[0];
      if (first === undefined) {
        if (refusal === undefined) {
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        }
        return callback(new SsrfError(`refused ${hostname}: ${refusal}`, hostname, refusedAddress), '');
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici Agent whose sockets resolve through guardedLookup. Net skips
 * `lookup` for IP-literal hosts, so the connector also checks those itself;
 * callers should still run checkUrl first for an early, clear refusal.
 */
export function guardedAgent(policy: OutboundPolicy, agentOptions: Agent.Options & { onConnect?: (origin: string, address: string) => void } = {}): Agent {
  const { connect, onConnect, ...rest } = agentOptions;
  if (typeof connect === 'function') throw new TypeError('guardedAgent: a custom connect function cannot be guarded');
  const inner = buildConnector({ ...connect, lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  const guarded: buildConnector.connector = (opts, callback) => {
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) !== 0) {
      const result = policy.check(host);
      if (!result.ok) return callback(new SsrfError(result.reason, host, host), null);
    }
    if (!onConnect) return inner(opts, callback);
    inner(opts, (err, socket) => {
      if (!err && socket?.remoteAddress) onConnect(`${opts.protocol}//${opts.host}`, socket.remoteAddress);
      callback(err as Error, socket as never);
    });
  };
  return new Agent({ ...rest, connect: guarded });
}

function hostIsLocalhost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * Pre-flight check of a URL: refuses non-http(s) schemes, IP-literal hosts the
 * policy refuses (in any spelling the WHATWG parser normalises, e.g.
 * http://2130706433/, http://0x7f.1/, http://[::ffff:127.0.0.1]/) and
 * localhost names unless loopback is allowed. Names are checked at connect time.
 */
export function checkUrl(policy: OutboundPolicy, url: string): CheckResult {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: `${JSON.stringify(url)} is not a valid URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `${parsed.protocol} URLs are not allowed; only http: and https:` };
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host) !== 0) return policy.check(host);
  if (hostIsLocalhost(host)) {
    if (policy.check('127.0.0.1').ok || policy.check('::1').ok) return { ok: true };
    return refusal(host, 'a loopback name', '127.0.0.0/8,::1');
  }
  return { ok: true };
}

/** True for a refusal by this guard, whether thrown directly or wrapped (in `cause`) by undici/fetch. */
export function isSsrfError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    if ((cur as { code?: unknown }).code === 'ESSRF') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
