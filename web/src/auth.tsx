/**
 * Login with an API token (the admin token from SWITCHYARD_ADMIN_TOKEN, or one made with POST /api/v1/tokens).
 * The token is checked against the API, kept in localStorage, and sent as a bearer token by api.ts. Any 401 from the
 * API (token revoked) clears it and comes back here.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Button, Card, Form, Input, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, getToken, onUnauthorized, request, setToken } from './api';
import { ErrorAlert } from './components/ErrorAlert';

interface Auth { token: string | null; login(token: string): Promise<void>; logout(): void }

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setState] = useState<string | null>(() => getToken());
  const qc = useQueryClient();
  const logout = useCallback(() => {
    setToken(null);
    setState(null);
    qc.clear();
  }, [qc]);
  const login = useCallback(async (t: string) => {
    // Any token may list workspaces: a cheap way to learn whether the server accepts it.
    await request('GET', '/workspaces', { token: t });
    setToken(t);
    setState(t);
  }, []);
  useEffect(() => onUnauthorized(logout), [logout]);
  const value = useMemo(() => ({ token, login, logout }), [token, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}

/** Renders its children when logged in, else sends the user to /login (and back afterwards). */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  const loc = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: loc.pathname + loc.search }} />;
  return <>{children}</>;
}

export function LoginPage() {
  const { login } = useAuth();
  const nav = useNavigate();
  const loc = useLocation();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const from = (loc.state as { from?: string } | null)?.from ?? '/det/webhooks';
  const onFinish = async ({ token }: { token: string }) => {
    setBusy(true);
    setError(null);
    try {
      await login(token.trim());
      nav(from === '/login' ? '/det/webhooks' : from, { replace: true });
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401
        ? new ApiError(401, 'unauthenticated', 'This token is unknown or revoked. Use the admin token (SWITCHYARD_ADMIN_TOKEN) or one made with POST /api/v1/tokens.')
        : e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f5f5' }}>
      <Card style={{ width: 420 }} title="Log in to Switchyard">
        <Typography.Paragraph type="secondary">
          Paste an API token: the admin token the server was started with (<code>SWITCHYARD_ADMIN_TOKEN</code>) or one
          made under Settings.
        </Typography.Paragraph>
        <ErrorAlert error={error} style={{ marginBottom: 16 }} />
        <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
          <Form.Item label="API token" name="token" rules={[{ required: true, whitespace: true, message: 'Token is required.' }]}>
            <Input.Password autoFocus placeholder="sy_…" autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>Log in</Button>
        </Form>
      </Card>
    </div>
  );
}
