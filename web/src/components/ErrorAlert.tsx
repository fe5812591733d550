/** Shows an error from the API in words: its title, the server's message, and its stable code. Nothing when null. */
import type { CSSProperties } from 'react';
import { Alert } from 'antd';
import { ApiError } from '../api';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorAlert({ error, title, style }: { error: unknown; title?: string; style?: CSSProperties }) {
  if (error === null || error === undefined) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={style}
      message={title ?? api?.title ?? 'Something went wrong'}
      description={
        <span>
          {errorText(error)}
          {api && api.type !== 'unknown' && api.type !== 'network' ? <span style={{ opacity: 0.6 }}> ({api.type})</span> : null}
        </span>
      }
    />
  );
}
