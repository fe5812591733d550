/** A timestamp as relative time ("3 min ago"), with the exact local and UTC time on hover. */
import { Tooltip } from 'antd';
import { useEffect, useState } from 'react';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['day', 24 * 3600], ['hour', 3600], ['minute', 60], ['second', 1],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' });

export function relativeTime(iso: string, now = Date.now()): string {
  const diff = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(diff) < 5) return 'just now';
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diff) >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return iso;
}

export function Time({ value, empty = '—' }: { value: string | null | undefined; empty?: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  if (!value) return <span style={{ opacity: 0.5 }}>{empty}</span>;
  const d = new Date(value);
  return (
    <Tooltip title={`${d.toLocaleString()} (${d.toISOString()})`}>
      <time dateTime={value}>{relativeTime(value)}</time>
    </Tooltip>
  );
}

/** A duration in ms as "12 ms" / "1.4 s". */
export function Duration({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined) return <span style={{ opacity: 0.5 }}>—</span>;
  return <span>{ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`}</span>;
}
