/**
 * The app shell: a side menu and the routes. Every page lives in pages/<area>/<Name>Page.tsx; adding one is a
 * route here, a menu item if it is top-level, and its path in src/http/ui.ts (UI_PAGES) so the server answers it.
 */
import { Suspense, useState, type ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { Button, Layout, Menu, Spin, Typography } from 'antd';
import {
  AlertOutlined, ApiOutlined, ExperimentOutlined, LogoutOutlined, NodeIndexOutlined, SettingOutlined,
} from '@ant-design/icons';
import { LoginPage, RequireAuth, useAuth } from './auth';
import { WebhooksPage } from './pages/webhooks/WebhooksPage';
import { WebhookDetailPage } from './pages/webhooks/WebhookDetailPage';
import { ExperimentsPage } from './pages/experiments/ExperimentsPage';
import { FlowsPage } from './pages/flows/FlowsPage';
import { FlowDetailPage } from './pages/flows/FlowDetailPage';
import { RunPage } from './pages/runs/RunPage';
import { AlertsPage } from './pages/alerts/AlertsPage';
import { SettingsPage } from './pages/settings/SettingsPage';

const MENU: { key: string; path: string; label: string; icon: ReactNode }[] = [
  { key: 'webhooks', path: '/det/webhooks', label: 'Webhooks', icon: <ApiOutlined /> },
  { key: 'experiments', path: '/experiments', label: 'Experiments', icon: <ExperimentOutlined /> },
  { key: 'flows', path: '/flows', label: 'Flows', icon: <NodeIndexOutlined /> },
  { key: 'alerts', path: '/alerts', label: 'Alerts', icon: <AlertOutlined /> },
  { key: 'settings', path: '/settings', label: 'Settings', icon: <SettingOutlined /> },
];

/** Which menu item a path belongs to (detail pages light up their list's item). */
function menuKey(pathname: string): string {
  if (pathname.startsWith('/det/webhooks') || pathname.startsWith('/webhooks')) return 'webhooks';
  if (pathname.startsWith('/runs')) return 'flows';
  return MENU.find((m) => pathname.startsWith(m.path))?.key ?? 'webhooks';
}

function Shell({ children }: { children: ReactNode }) {
  const { logout } = useAuth();
  const loc = useLocation();
  const [collapsed, setCollapsed] = useState(false);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} breakpoint="lg" width={200} theme="light"
        style={{ borderRight: '1px solid #f0f0f0' }}>
        <div style={{ height: 56, display: 'flex', alignItems: 'center', gap: 8, padding: '0 20px' }}>
          <img src="/favicon.svg" alt="" width={24} height={24} />
          {!collapsed && <Typography.Text strong style={{ fontSize: 16 }}>Switchyard</Typography.Text>}
        </div>
        <Menu mode="inline" selectedKeys={[menuKey(loc.pathname)]} style={{ borderInlineEnd: 'none' }}
          items={MENU.map((m) => ({ key: m.key, icon: m.icon, label: <Link to={m.path}>{m.label}</Link> }))} />
        <div style={{ padding: '16px 4px', borderTop: '1px solid #f0f0f0', margin: '8px 4px 0' }}>
          <Button icon={<LogoutOutlined />} onClick={logout} type="text" block aria-label="Log out"
            style={{ justifyContent: collapsed ? 'center' : 'flex-start', paddingInline: collapsed ? 0 : 24 }}>
            {!collapsed && 'Log out'}
          </Button>
        </div>
      </Layout.Sider>
      <Layout>
        <Layout.Content style={{ padding: 24, maxWidth: 1400, width: '100%', margin: '0 auto' }}>
          <Suspense fallback={<Spin />}>{children}</Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function NotFound() {
  return <Typography.Paragraph>No page here. <Link to="/det/webhooks">Go to Webhooks</Link>.</Typography.Paragraph>;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="*" element={
        <RequireAuth>
          <Shell>
            <Routes>
              <Route path="/" element={<Navigate to="/det/webhooks" replace />} />
              <Route path="/det/webhooks" element={<WebhooksPage />} />
              <Route path="/webhooks/:id" element={<WebhookDetailPage />} />
              <Route path="/experiments" element={<ExperimentsPage />} />
              <Route path="/flows" element={<FlowsPage />} />
              <Route path="/flows/:id" element={<FlowDetailPage />} />
              <Route path="/runs/:id" element={<RunPage />} />
              <Route path="/alerts" element={<AlertsPage />} />
              <Route path="/settings" element={<SettingsPage />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Shell>
        </RequireAuth>
      } />
    </Routes>
  );
}
