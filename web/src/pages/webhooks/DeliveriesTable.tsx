/** A webhook's deliveries, newest first, live on the first page; redeliver one, the selected ones, or every dead one. */
import { useState } from 'react';
import { App, Button, Flex, Popconfirm, Segmented, Space, Table, Tooltip, Typography, type TableColumnsType } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Delivery } from '../../types';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { live } from '../../live';
import { AttemptsDrawer } from './AttemptsDrawer';

const PAGE = 20;
const FILTERS = ['all', 'pending', 'delivering', 'delivered', 'failed', 'dead'] as const;

export function DeliveriesTable({ webhookId }: { webhookId: number }) {
  const { message, notification } = App.useApp();
  const qc = useQueryClient();
  const [status, setStatus] = useState<(typeof FILTERS)[number]>('all');
  // Cursor pagination (the API pages by beforeId): the stack of cursors of the pages before this one.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const beforeId = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<number[]>([]);
  const [openId, setOpenId] = useState<number | null>(null);

  const q = useQuery({
    queryKey: ['deliveries', webhookId, status, beforeId],
    queryFn: () => api.listDeliveries({ webhookId, status: status === 'all' ? undefined : status, limit: PAGE + 1, beforeId }),
    ...(beforeId === undefined ? live() : {}),
  });
  const rows = (q.data?.deliveries ?? []).slice(0, PAGE);
  const hasMore = (q.data?.deliveries.length ?? 0) > PAGE;
  const refresh = () => qc.invalidateQueries({ queryKey: ['deliveries', webhookId] });

  const redeliver = useMutation({
    mutationFn: async (ids: number[]) => {
      for (const id of ids) await api.redeliver(id);
      return ids.length;
    },
    onSuccess: (n) => {
      void message.success(n === 1 ? 'Delivery queued again.' : `${n} deliveries queued again.`);
      setSelected([]);
      void refresh();
    },
    onError: (e) => notification.error({ message: 'Unable to redeliver.', description: errorText(e) }),
  });
  const redeliverDead = useMutation({
    mutationFn: () => api.redeliverDead(webhookId),
    onSuccess: (r) => {
      void message.success(r.redelivered === 0 ? 'No dead delivery to redeliver (an event delivered or queued again since is left out).' : `${r.redelivered} dead ${r.redelivered === 1 ? 'delivery' : 'deliveries'} queued again.`);
      void refresh();
    },
    onError: (e) => notification.error({ message: 'Unable to redeliver dead deliveries.', description: errorText(e) }),
  });

  const columns: TableColumnsType<Delivery> = [
    { title: 'ID', dataIndex: 'id', width: 64, render: (id: number) => <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpenId(id)}>{id}</Button> },
    { title: 'Event', dataIndex: 'eventType', width: 230 },
    {
      title: 'Status', dataIndex: 'status', width: 130, render: (s: string, d) => {
        // A delivery redelivered since points at its newest redelivery (and that one's state).
        const last = d.redeliveries?.at(-1);
        return (
          <Space size={4}>
            <StatusTag status={s} />
            {last && (
              <Tooltip title={`Redelivered as delivery ${last.id}: ${last.status}`}>
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpenId(last.id)}
                  aria-label={`Redelivered as delivery ${last.id}, ${last.status}`}>→ {last.id}</Button>
              </Tooltip>
            )}
          </Space>
        );
      },
    },
    { title: 'Response', dataIndex: 'lastStatusCode', width: 90, render: (c: number | null) => c ?? '—' },
    { title: 'Attempts', dataIndex: 'attempts', width: 80 },
    {
      title: 'Error', dataIndex: 'lastError', ellipsis: { showTitle: false },
      render: (e: string | null) => (e ? <Tooltip title={e}><Typography.Text type="danger">{e}</Typography.Text></Tooltip> : '—'),
    },
    { title: 'Created', dataIndex: 'createdAt', width: 100, render: (t: string) => <Time value={t} /> },
    { title: 'Next attempt', dataIndex: 'nextAttemptAt', width: 110, render: (t: string | null) => <Time value={t} /> },
    {
      title: '', key: 'actions', width: 180, align: 'right',
      render: (_, d) => (
        <Space size={4}>
          <Button size="small" onClick={() => setOpenId(d.id)}>Attempts</Button>
          <Button size="small" onClick={() => redeliver.mutate([d.id])} disabled={d.status === 'pending' || d.status === 'delivering'}>Redeliver</Button>
        </Space>
      ),
    },
  ];

  return (
    <div>
      <Flex justify="space-between" align="center" gap={8} wrap="wrap" style={{ marginBottom: 12 }}>
        <Segmented<(typeof FILTERS)[number]> options={[...FILTERS]} value={status}
          onChange={(v) => { setStatus(v); setCursors([undefined]); setSelected([]); }} />
        <Space wrap>
          <Button onClick={() => redeliver.mutate(selected)} disabled={selected.length === 0} loading={redeliver.isPending}>
            Redeliver selected{selected.length ? ` (${selected.length})` : ''}
          </Button>
          <Popconfirm title="Redeliver every dead delivery of this webhook?" description="Each event once; events delivered or queued again since are left out."
            okText="Redeliver all" onConfirm={() => redeliverDead.mutate()}>
            <Button loading={redeliverDead.isPending}>Redeliver all dead</Button>
          </Popconfirm>
          <Tooltip title="Refresh"><Button icon={<ReloadOutlined />} onClick={() => void refresh()} aria-label="Refresh deliveries" /></Tooltip>
        </Space>
      </Flex>
      <ErrorAlert error={q.error} title="Unable to load deliveries." style={{ marginBottom: 12 }} />
      <Table<Delivery>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={rows}
        loading={q.isLoading}
        pagination={false}
        scroll={{ x: 1000 }}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as number[]) }}
        locale={{ emptyText: status === 'all' ? 'No deliveries yet: test the webhook, or fire one of its triggers.' : `No ${status} deliveries.` }}
      />
      <Flex justify="flex-end" gap={8} style={{ marginTop: 12 }}>
        <Button disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</Button>
        <Button disabled={!hasMore} onClick={() => setCursors((c) => [...c, rows[rows.length - 1]!.id])}>Older</Button>
      </Flex>
      <AttemptsDrawer deliveryId={openId} onClose={() => setOpenId(null)} onOpen={setOpenId} />
    </div>
  );
}
