/**
 * send_email: sends one email through services.sendEmail (the operator's SMTP server, or the step's own `smtp`).
 * `to` / `cc` take an address, a list, or a comma-separated string (as a template renders it); each entry is
 * `user@example.com` or `Name <user@example.com>`. Output: `{ messageId, accepted, rejected }` (`rejected`: the
 * recipients the server refused while accepting others). Failures: connection trouble and 4xx replies are retried,
 * 5xx replies (permanent) are not.
 */
import { z } from 'zod';
import type { EmailMessage, SmtpSettings, StepServices } from '../../../core/flow/types.js';
import { describeSmtpError } from '../../services/email.js';
import { abortable, boolish, fail, intish, nonEmpty, ok, secretOr, withSecrets } from '../common.js';
import type { StepDefinition } from '../registry.js';

export const MAX_RECIPIENTS = 50;

const LOCAL = /^[^\s@<>()[\]\\,;:"]+$/u;
const DOMAIN = /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*$/u;

/** The bare address of `user@x` or `Name <user@x>`, or null when the entry is not an address. */
export function addressOf(entry: string): string | null {
  const s = entry.trim();
  if (/[\r\n\0]/.test(s)) return null;
  const angle = /^(?:"(?:[^"\\]|\\.)*"|[^<>"]*)\s*<([^<>]+)>$/.exec(s);
  const addr = angle ? angle[1]!.trim() : s;
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at === addr.length - 1 || addr.length > 254) return null;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  return LOCAL.test(local) && DOMAIN.test(domain) ? addr : null;
}

/** Splits "a@x, \"Doe, J\" <j@y>; b@z" at commas and semicolons outside quotes and angle brackets. */
export function splitAddresses(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && quoted && i + 1 < s.length) { cur += c + s[++i]; continue; }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle = true;
    else if (!quoted && c === '>') angle = false;
    if (!quoted && !angle && (c === ',' || c === ';')) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((a) => a.trim()).filter((a) => a !== '');
}

const address = z.string().trim().refine((s) => addressOf(s) !== null, { error: 'must be an email address' });

/** An address, a list, or a comma-separated string; a bad entry in a string is reported at the field itself. */
function addressList(min: number) {
  return z
    .union([z.string(), z.array(z.string())], { error: 'must be an email address or a list of them' })
    .transform((v, ctx) => {
      const list = typeof v === 'string' ? splitAddresses(v) : v.map((a) => a.trim());
      if (typeof v === 'string') {
        if (list.some((a) => addressOf(a) === null)) {
          ctx.addIssue({ code: 'custom', message: 'must be an email address (or a comma-separated list of them)' });
        }
      } else {
        list.forEach((a, i) => { if (addressOf(a) === null) ctx.addIssue({ code: 'custom', path: [i], message: 'must be an email address' }); });
      }
      if (list.length < min) ctx.addIssue({ code: 'custom', message: 'needs at least one address' });
      if (list.length > MAX_RECIPIENTS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_RECIPIENTS} addresses` });
      return list;
    });
}

const smtpSchema = z.strictObject({
  host: nonEmpty,
  port: intish(1, 65535),
  /** Implicit TLS; default: true for port 465, else false (STARTTLS is used when the server offers it). */
  secure: boolish.optional(),
  user: z.string().optional(),
  password: secretOr(z.string(), 'a string').optional(),
});

export const sendEmailConfig = z
  .strictObject({
    to: addressList(1),
    cc: addressList(0).optional(),
    subject: nonEmpty.transform((s) => s.replace(/\s*[\r\n]+\s*/g, ' ')),
    text: z.string().optional(),
    html: z.string().optional(),
    from: address.optional(),
    smtp: smtpSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.text && !c.html) ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required' });
    if ((c.to.length + (c.cc?.length ?? 0)) > MAX_RECIPIENTS) {
      ctx.addIssue({ code: 'custom', path: ['cc'], message: `at most ${MAX_RECIPIENTS} recipients in to and cc together` });
    }
  });

export type SendEmailConfig = z.output<typeof sendEmailConfig>;

export const sendEmailStep: StepDefinition<SendEmailConfig> = {
  type: 'send_email',
  title: 'Send an email',
  configSchema: sendEmailConfig,
  action: true,
  run(config: SendEmailConfig, services: StepServices, signal: AbortSignal) {
    return withSecrets(services, signal, async (scope) => {
      let smtp: SmtpSettings | undefined;
      if (config.smtp) {
        const s = config.smtp;
        smtp = {
          host: s.host,
          port: s.port,
          secure: s.secure ?? s.port === 465,
          ...(s.user !== undefined && s.user !== '' ? { user: s.user } : {}),
          ...(s.password !== undefined ? { password: scope.resolve(s.password) } : {}),
        };
      }
      const msg: EmailMessage = {
        to: config.to,
        subject: config.subject,
        ...(config.cc && config.cc.length > 0 ? { cc: config.cc } : {}),
        ...(config.text ? { text: config.text } : {}),
        ...(config.html ? { html: config.html } : {}),
        ...(config.from ? { from: config.from } : {}),
      };
      try {
        const info = await abortable(services.sendEmail(msg, smtp), signal);
        const acceptedSet = new Set(info.accepted.map((a) => (addressOf(a) ?? a).toLowerCase()));
        const rejected = [...msg.to, ...(msg.cc ?? [])]
          .map((r) => addressOf(r) ?? r)
          .filter((a) => !acceptedSet.has(a.toLowerCase()));
        return ok({ messageId: info.messageId, accepted: info.accepted, rejected });
      } catch (e) {
        if (signal.aborted) throw e;
        const described = describeSmtpError(e, smtp ? `${smtp.host}:${smtp.port}` : 'the default SMTP server');
        return fail(described.message, described.retryable);
      }
    });
  },
};
