/**
 * StepServices.sendEmail over SMTP with nodemailer. One pooled transport per distinct server settings (created on
 * first use, kept until close). Implicit TLS (`secure`, usually port 465) or STARTTLS when the server offers it; the
 * server certificate is verified unless `rejectUnauthorized: false`. Failures are thrown as EmailSendError with a
 * message that says what failed and whether retrying can help (connection trouble and 4xx replies: yes; 5xx: no).
 */
import net from 'node:net';
import os from 'node:os';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { EmailMessage, SmtpSettings, StepServices } from '../../core/flow/types.js';
import { guardedLookup, isSsrfError, SsrfError, type OutboundPolicy } from '../../delivery/ssrf.js';

export const NO_SMTP_MESSAGE =
  'no SMTP server is configured: set one with PUT /api/v1/settings/smtp (or smtp.host, SWITCHYARD_SMTP_HOST), or give the step an smtp block';

export interface EmailSenderOptions {
  /** Verify the server's certificate (implicit TLS and STARTTLS). Default true. */
  rejectUnauthorized?: boolean;
  /** Refuse to send without TLS (fail if the server does not offer STARTTLS). Default false. */
  requireTLS?: boolean;
  /** Connect, greeting and socket-idle timeouts. Default 15 000 ms (socket: 60 000 ms). */
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Applied to SMTP servers a step names itself (not to the operator's default server). */
  policy?: OutboundPolicy;
  /** Distinct transports kept; the least recently used is closed beyond this. Default 16. */
  maxTransports?: number;
}

export type EmailSender = StepServices['sendEmail'] & { close(): void };

/** A failed send, described for a run record. */
export class EmailSendError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly responseCode?: number) {
    super(message);
    this.name = 'EmailSendError';
  }
}

interface SmtpErrorLike {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  rejectedErrors?: { recipient?: string; response?: string; responseCode?: number; message?: string }[];
}

const TLS_PATTERN = /certificate|SSL routines|self[- ]signed|unable to (verify|get)|wrong version number|handshake|\bTLS\b/i;

/** Explains a nodemailer (or socket) error; `server` is "host:port". */
export function describeSmtpError(e: unknown, server: string): EmailSendError {
  if (e instanceof EmailSendError) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as SmtpErrorLike;
  const msg = err.message ?? String(e);
  const rc = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const reply = (err.response ?? msg).trim();
  const transient = (code: number | undefined) => code === undefined || code < 500;
  if (isSsrfError(e)) return new EmailSendError(`SMTP server ${server} was refused by the SSRF guard (not retried): ${msg}`, false);
  if (err.code === 'ENOSMTP') return new EmailSendError(msg, false);
  if (err.code === 'EENVELOPE' && err.command === 'RCPT TO') {
    const each = err.rejectedErrors?.length ? err.rejectedErrors : [{ response: reply, responseCode: rc }];
    const text = each.map((r) => `${(r.response ?? r.message ?? '').trim()}${r.recipient ? ` (${r.recipient})` : ''}`).join('; ');
    return new EmailSendError(`recipient rejected: ${text}`, each.every((r) => r.responseCode !== undefined && r.responseCode < 500), rc);
  }
  if (err.code === 'EENVELOPE' && rc !== undefined) {
    return new EmailSendError(`sender rejected by SMTP server ${server}: ${reply}`, transient(rc), rc);
  }
  if (err.code === 'EENVELOPE') return new EmailSendError(`the message has no valid envelope: ${msg}`, false);
  if (err.code === 'EAUTH') {
    return new EmailSendError(`SMTP server ${server} rejected the login: ${reply}`, rc !== undefined && rc < 500, rc);
  }
  if (err.code === 'EMESSAGE' || (rc !== undefined && err.command === 'DATA')) {
    return new EmailSendError(`message rejected by SMTP server ${server}: ${reply}`, rc !== undefined && rc < 500, rc);
  }
  if (rc !== undefined) return new EmailSendError(`SMTP server ${server} answered ${reply}`, transient(rc), rc);
  if (/ECONNREFUSED/.test(msg) || err.code === 'ECONNREFUSED') return new EmailSendError(`SMTP server ${server} refused the connection`, true);
  if (err.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(msg)) {
    return new EmailSendError(`could not resolve the SMTP server's host (${server}): ${msg}`, true);
  }
  if (err.code === 'ETIMEDOUT' || /timeout|timed out|Greeting never received/i.test(msg)) {
    return new EmailSendError(`SMTP server ${server} did not answer in time: ${msg}`, true);
  }
  if (err.code === 'ETLS' || TLS_PATTERN.test(msg)) {
    return new EmailSendError(`TLS with SMTP server ${server} failed: ${msg}`, false);
  }
  if (/EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|closed|ended/i.test(msg) || err.code === 'ESOCKET' || err.code === 'ECONNECTION') {
    return new EmailSendError(`connection to SMTP server ${server} failed: ${msg}`, true);
  }
  return new EmailSendError(`sending email via ${server} failed: ${msg}`, true);
}

type GetSocket = NonNullable<SMTPPool.Options['getSocket']>;

/** A plain TCP socket whose address the policy has checked (nodemailer adds TLS on top, verifying the host name). */
function guardedSocket(policy: OutboundPolicy, timeoutMs: number): GetSocket {
  return (opts, callback) => {
    const host = String(opts.host ?? '');
    const port = Number(opts.port);
    if (net.isIP(host) !== 0) {
      const check = policy.check(host);
      if (!check.ok) return callback(new SsrfError(check.reason, host, host), undefined);
    }
    let done = false;
    const sock = net.connect({ host, port, lookup: guardedLookup(policy) });
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      sock.setTimeout(0);
      sock.removeListener('error', finish);
      if (err) {
        sock.destroy();
        callback(err, undefined);
      } else callback(null, { connection: sock });
    };
    sock.setTimeout(timeoutMs, () => finish(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    sock.once('error', finish);
    sock.once('connect', () => finish(null));
  };
}

function defaultFrom(settings: SmtpSettings): string {
  if (settings.from) return settings.from;
  if (settings.user?.includes('@')) return settings.user;
  return `Switchyard <switchyard@${os.hostname() || 'localhost'}>`;
}

/**
 * The sendEmail service. `defaultSmtp` is the operator's server, or a function that reads it at each send (the
 * settings can change over the API); null: none configured, and a step must name one;
 * a step's own `smtp` settings take precedence.
 */
export function createEmailSender(defaultSmtp: SmtpSettings | null | (() => SmtpSettings | null), options: EmailSenderOptions = {}): EmailSender {
  const transports = new Map<string, nodemailer.Transporter<SMTPPool.SentMessageInfo>>();
  const connectionTimeout = options.connectionTimeoutMs ?? 15_000;
  const maxTransports = options.maxTransports ?? 16;

  function transportFor(s: SmtpSettings, guarded: boolean): nodemailer.Transporter<SMTPPool.SentMessageInfo> {
    const key = JSON.stringify([s.host, s.port, s.secure, s.user ?? null, s.password ?? null, guarded]);
    const existing = transports.get(key);
    if (existing) {
      transports.delete(key); // re-insert: the map's order is least recently used first
      transports.set(key, existing);
      return existing;
    }
    const poolOptions: SMTPPool.Options = {
      pool: true,
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: options.requireTLS ?? false,
      tls: { rejectUnauthorized: options.rejectUnauthorized ?? true },
      connectionTimeout,
      greetingTimeout: connectionTimeout,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
      maxConnections: 4,
      ...(s.user !== undefined ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      ...(guarded && options.policy ? { getSocket: guardedSocket(options.policy, connectionTimeout) } : {}),
    };
    const t = nodemailer.createTransport(poolOptions);
    transports.set(key, t);
    while (transports.size > maxTransports) {
      const [oldestKey, oldest] = transports.entries().next().value as [string, nodemailer.Transporter];
      transports.delete(oldestKey);
      oldest.close();
    }
    return t;
  }

  const send = async (msg: EmailMessage, smtp?: SmtpSettings): Promise<{ messageId: string; accepted: string[] }> => {
    const settings = smtp ?? (typeof defaultSmtp === 'function' ? defaultSmtp() : defaultSmtp);
    if (!settings || !settings.host) throw Object.assign(new EmailSendError(NO_SMTP_MESSAGE, false), { code: 'ENOSMTP' });
    const server = `${settings.host}:${settings.port}`;
    try {
      const info = await transportFor(settings, smtp !== undefined).sendMail({
        from: msg.from ?? defaultFrom(settings),
        to: msg.to,
        ...(msg.cc && msg.cc.length > 0 ? { cc: msg.cc } : {}),
        subject: msg.subject,
        ...(msg.text !== undefined ? { text: msg.text } : {}),
        ...(msg.html !== undefined ? { html: msg.html } : {}),
      });
      const accepted = (info.accepted ?? []).map((a: unknown) => (typeof a === 'string' ? a : String((a as { address?: unknown }).address ?? a)));
      return { messageId: info.messageId, accepted };
    } catch (e) {
      throw describeSmtpError(e, server);
    }
  };

  return Object.assign(send, {
    close(): void {
      for (const t of transports.values()) t.close();
      transports.clear();
    },
  });
}
