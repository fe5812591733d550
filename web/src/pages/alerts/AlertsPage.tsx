/** Alerts: open and resolved, with their notifications (where the server sends them); resolve (acknowledge) one. */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { App, Button, Empty, Radio, Space, Table, Tag, Typography } from 'antd';
import { CheckOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Page } from '../../components/Page';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { live } from '../../live';
import type { AlertNotification, AlertWithNotifications } from '../../types-receiver';

const SEVERITY: Record<string, string> = { error: 'red', warning: 'orange', info: 'blue' };

function source(a: AlertWithNotifications) {
  if (a.webhookId) return <Link to={`/webhooks/${a.webhookId}`}>webhook #{a.webhookId}{a.deliveryId ? `, delivery #${a.deliveryId}` : ''}</Link>;
  if (a.kind.startsWith('flow.') || a.kind.startsWith('run.')) return <span>flow</span>;
  return <span>{a.kind.split('.')[0]}</span>;
}

function Notifications({ items }: { items: AlertNotification[] }) {
  if (items.length === 0) return <Typography.Text type="secondary">No alert channel received this alert.</Typography.Text>;
  return (
    <Table<AlertNotification> size="small" rowKey="id" pagination={false} dataSource={items} columns={[
      { title: 'Channel', dataIndex: 'channel', render: (c: string | null, n) => c ?? `#${n.channelId}` },
      { title: 'Status', dataIndex: 'status', render: (s: string) => <StatusTag status={s === 'sent' ? 'delivered' : s}>{s}</StatusTag> },
      { title: 'Attempts', dataIndex: 'attempts' },
      { title: 'Sent', dataIndex: 'sentAt', render: (t: string | null) => <Time value={t} /> },
      { title: 'Next attempt', dataIndex: 'nextAttemptAt', render: (t: string | null) => <Time value={t} /> },
      { title: 'Error', dataIndex: 'lastError', render: (e: string | null) => e ? <Typography.Text type="danger">{e}</Typography.Text> : null },
    ]} />
  );
}

export function AlertsPage() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [filter, setFilter] = useState<'open' | 'resolved' | 'all'>('open');
  const q = useQuery({
    queryKey: ['alerts', filter],
    queryFn: () => rapi.listAlerts({ open: filter === 'all' ? undefined : filter === 'open', limit: 500 }),
    ...live(5000),
  });
  const ack = useMutation({
    mutationFn: (a: AlertWithNotifications) => rapi.acknowledgeAlert(a.id).then(() => a),
    onSuccess: (a) => { void qc.invalidateQueries({ queryKey: ['alerts'] }); void message.success(`Alert "${a.title}" resolved.`); },
  });
  const alerts = q.data?.alerts ?? [];
  const hasNotifications = alerts.some((a) => a.notifications !== undefined);
  return (
    <Page title="Alerts" subtitle="Raised by failed deliveries, disabled webhooks and flows' alert steps."
      extra={<Radio.Group value={filter} onChange={(e) => setFilter(e.target.value)} optionType="button" aria-label="Which alerts"
        options={[{ value: 'open', label: 'Open' }, { value: 'resolved', label: 'Resolved' }, { value: 'all', label: 'All' }]} />}>
      <ErrorAlert error={q.error ?? ack.error} style={{ marginBottom: 16 }} />
      <Table<AlertWithNotifications> rowKey="id" loading={q.isLoading} dataSource={alerts}
        pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        locale={{ emptyText: <Empty description={filter === 'open' ? 'No open alerts. All is calm.' : 'No alerts.'} /> }}
        expandable={hasNotifications ? { expandedRowRender: (a) => <Notifications items={a.notifications ?? []} />, rowExpandable: (a) => a.notifications !== undefined } : undefined}
        columns={[
          { title: 'State', key: 'state', width: 100, render: (_, a) => a.acknowledgedAt ? <Tag>resolved</Tag> : <Tag color="volcano">open</Tag> },
          { title: 'Severity', dataIndex: 'severity', width: 100, render: (s: string) => <Tag color={SEVERITY[s]}>{s}</Tag> },
          {
            title: 'Alert', dataIndex: 'title',
            render: (_, a) => <div><Typography.Text strong>{a.title}</Typography.Text>{a.count > 1 && <Tag style={{ marginLeft: 8 }}>×{a.count}</Tag>}<br /><Typography.Text type="secondary">{a.message}</Typography.Text></div>,
          },
          { title: 'Kind', dataIndex: 'kind', render: (k: string) => <Typography.Text code>{k}</Typography.Text> },
          { title: 'Source', key: 'source', render: (_, a) => source(a) },
          { title: 'Last', dataIndex: 'lastAt', render: (t: string) => <Time value={t} /> },
          ...(hasNotifications ? [{ title: 'Notified', key: 'notified', render: (_: unknown, a: AlertWithNotifications) => {
            const n = a.notifications ?? [];
            const sent = n.filter((x) => x.status === 'sent').length;
            return n.length === 0 ? <Typography.Text type="secondary">—</Typography.Text> : <span>{sent}/{n.length} sent</span>;
          } }] : []),
          {
            title: '', key: 'actions', align: 'right' as const,
            render: (_: unknown, a: AlertWithNotifications) => a.acknowledgedAt
              ? <Typography.Text type="secondary">resolved <Time value={a.acknowledgedAt} /></Typography.Text>
              : <Button size="small" icon={<CheckOutlined />} loading={ack.isPending && ack.variables?.id === a.id} onClick={() => ack.mutate(a)}>Resolve</Button>,
          },
        ]} />
      <Space />
    </Page>
  );
}
