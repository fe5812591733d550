/** A colored tag for a status word: deliveries, attempts, runs, experiment states, webhook health. */
import type { ReactNode } from 'react';
import { Tag } from 'antd';

const COLORS: Record<string, string> = {
  // deliveries and runs
  delivered: 'success', succeeded: 'success', ok: 'success', success: 'success',
  pending: 'default', queued: 'default', delivering: 'processing', running: 'processing',
  failed: 'warning', retrying: 'warning',
  dead: 'error', error: 'error', errored: 'error', http: 'error', timeout: 'error', connect: 'error', dns: 'error',
  reset: 'error', tls: 'error', refused: 'error', other: 'error',
  skipped: 'default', filtered: 'default',
  // webhooks
  active: 'success', paused: 'warning', disabled: 'error',
  // experiment states
  COMPLETED: 'success', ACTIVE: 'processing', RUNNING: 'processing', PAUSED: 'warning', CANCELED: 'default',
  ERROR: 'error', STOPPING_COMPLETED: 'processing', STOPPING_CANCELED: 'processing', STOPPING_ERROR: 'processing',
  STOPPING_KILLED: 'processing', DELETING: 'default', DELETED: 'default', DELETE_FAILED: 'error', PARTIALLY_DELETED: 'default',
};

export function StatusTag({ status, children }: { status: string; children?: ReactNode }) {
  const key = status.replace(/^STATE_/, '');
  return <Tag color={COLORS[key] ?? COLORS[key.toLowerCase()] ?? 'default'}>{children ?? key}</Tag>;
}
