/** Determined's Webhooks page at /det/webhooks (spec section 6), polled, paginated, with a link to each webhook. */
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Button, Empty, Space, Table, Tooltip, Typography, type TableColumnsType } from 'antd';
import { ApiOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook } from '../../types';
import { Page } from '../../components/Page';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { live } from '../../live';
import { WebhookActions } from './WebhookActions';
import { WebhookCreateModal } from './WebhookCreateModal';
import { TriggerBadges } from './TriggerBadges';
import { health, modeLabel, typeLabel } from './webhookModel';

export function WebhooksPage() {
  const [creating, setCreating] = useState(false);
  const webhooks = useQuery({ queryKey: ['webhooks'], queryFn: api.listWebhooks, ...live(5000) });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: api.listWorkspaces });
  const wsName = useMemo(() => new Map((workspaces.data?.workspaces ?? []).map((w) => [w.id, w.name])), [workspaces.data]);

  const columns: TableColumnsType<Webhook> = [
    {
      title: 'Name', dataIndex: 'name', key: 'name', width: 200, sorter: (a, b) => a.name.localeCompare(b.name),
      render: (_, w) => {
        const h = health(w);
        return (
          <Space size={6}>
            <Link to={`/webhooks/${w.id}`}>{w.name}</Link>
            {h !== 'active' && <Tooltip title={w.disabledReason ?? undefined}><StatusTag status={h} /></Tooltip>}
          </Space>
        );
      },
    },
    {
      title: 'Workspace', key: 'workspace', width: 130,
      filters: (workspaces.data?.workspaces ?? []).map((w) => ({ text: w.name, value: w.id })),
      onFilter: (v, w) => w.workspaceId === v,
      render: (_, w) => (w.workspaceId > 0 ? wsName.get(w.workspaceId) ?? `#${w.workspaceId}` : ''),
    },
    { title: 'Mode', key: 'mode', width: 100, render: (_, w) => modeLabel(w) },
    {
      title: 'URL', dataIndex: 'url', key: 'url', ellipsis: { showTitle: true }, sorter: (a, b) => a.url.localeCompare(b.url),
      render: (url: string) => <Typography.Text style={{ fontFamily: 'monospace', fontSize: 13 }}>{url}</Typography.Text>,
    },
    { title: 'Experiment State Triggers', key: 'triggers', width: 220, render: (_, w) => <TriggerBadges triggers={w.triggers} /> },
    {
      title: 'Type', dataIndex: 'webhookType', key: 'type', width: 90, render: typeLabel,
      sorter: (a, b) => typeLabel(a.webhookType).localeCompare(typeLabel(b.webhookType)),
    },
    { title: '', key: 'actions', width: 56, align: 'right', render: (_, w) => <WebhookActions webhook={w} /> },
  ];

  const rows = webhooks.data?.webhooks ?? [];
  return (
    <Page title="Webhooks" extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>New Webhook</Button>}>
      <ErrorAlert error={webhooks.error} title="Unable to load webhooks." style={{ marginBottom: 16 }} />
      {!webhooks.isLoading && !webhooks.error && rows.length === 0 ? (
        <Empty
          style={{ marginTop: 64 }}
          image={<ApiOutlined style={{ fontSize: 48, color: '#bfbfbf' }} />}
          description={
            <div>
              <Typography.Title level={4}>No Webhooks Registered</Typography.Title>
              <Typography.Text type="secondary">Call external services when experiments complete or throw errors.</Typography.Text>
            </div>
          }
        />
      ) : (
        <Table<Webhook>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={webhooks.isLoading}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: false, showTotal: (n) => `${n} ${n === 1 ? 'webhook' : 'webhooks'}` }}
          scroll={{ x: 900 }}
        />
      )}
      <WebhookCreateModal open={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
