/** One delivery: its payload and every attempt (request headers, status, response body, error reason, timing). */
import type { CSSProperties, MouseEvent } from 'react';
import { Button, Descriptions, Drawer, Empty, Flex, Space, Spin, Timeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import type { Attempt } from '../../types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Duration, Time } from '../../components/Time';
import { CopyButton } from '../../components/CopyButton';
import { live } from '../../live';

function pretty(text: string | null): string {
  if (text === null) return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

const pre: CSSProperties = {
  background: '#fafafa', border: '1px solid #f0f0f0', borderRadius: 6, padding: 12, margin: 0, maxHeight: 320,
  overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all',
};

function Headers({ headers }: { headers: Record<string, string> | null }) {
  if (!headers || Object.keys(headers).length === 0) return <Typography.Text type="secondary">none</Typography.Text>;
  return <pre style={pre}>{Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>;
}

function AttemptView({ a }: { a: Attempt }) {
  return (
    <div>
      <Space size={8} wrap style={{ marginBottom: 8 }}>
        <Typography.Text strong>Attempt {a.attempt}</Typography.Text>
        <StatusTag status={a.outcome} />
        {a.statusCode !== null && <Typography.Text code>HTTP {a.statusCode}</Typography.Text>}
        <Duration ms={a.durationMs} />
        <Time value={a.startedAt} />
      </Space>
      {a.error && <ErrorAlert error={new Error(a.error)} title="Error reason" style={{ marginBottom: 8 }} />}
      <Descriptions size="small" column={1} bordered items={[
        { key: 'url', label: 'URL', children: <Typography.Text code style={{ wordBreak: 'break-all' }}>{a.url}</Typography.Text> },
        { key: 'remote', label: 'Connected to', children: a.remoteAddress ?? '—' },
        { key: 'req', label: 'Request headers', children: <Headers headers={a.requestHeaders} /> },
        { key: 'resh', label: 'Response headers', children: <Headers headers={a.responseHeaders} /> },
        {
          key: 'body', label: 'Response body',
          children: a.responseBody ? <pre style={pre}>{pretty(a.responseBody)}</pre> : <Typography.Text type="secondary">empty</Typography.Text>,
        },
      ]} />
    </div>
  );
}

/** A link to another delivery of the same event (a redelivery, or the delivery redelivered), opened in this drawer. */
function DeliveryLink({ id, onOpen }: { id: number; onOpen?: (id: number) => void }) {
  if (!onOpen) return <>delivery {id}</>;
  // The drawer keeps the focus (this button goes away with the delivery it belongs to), so Escape still closes it.
  const open = (e: MouseEvent<HTMLElement>) => {
    e.currentTarget.closest<HTMLElement>('.ant-drawer')?.focus({ preventScroll: true });
    onOpen(id);
  };
  return <Button type="link" size="small" style={{ padding: 0, height: 'auto' }} onClick={open}>delivery {id}</Button>;
}

export function AttemptsDrawer({ deliveryId, onClose, onOpen }: { deliveryId: number | null; onClose: () => void; onOpen?: (id: number) => void }) {
  const open = deliveryId !== null;
  const delivery = useQuery({ queryKey: ['delivery', deliveryId], queryFn: () => api.getDelivery(deliveryId!), enabled: open, ...live() });
  const attempts = useQuery({
    queryKey: ['attempts', deliveryId], queryFn: () => api.listAttempts({ deliveryId: deliveryId!, limit: 100 }), enabled: open, ...live(),
  });
  const d = delivery.data?.delivery;
  const list = [...(attempts.data?.attempts ?? [])].sort((x, y) => y.attempt - x.attempt);
  return (
    <Drawer open={open} onClose={onClose} width={720} title={d ? `Delivery ${d.id}` : 'Delivery'} destroyOnHidden>
      <ErrorAlert error={delivery.error ?? attempts.error} style={{ marginBottom: 16 }} />
      {delivery.isLoading && <Spin />}
      {d && (
        <Flex vertical gap={16}>
          <Descriptions size="small" column={2} items={[
            { key: 'status', label: 'Status', children: <StatusTag status={d.status} /> },
            { key: 'type', label: 'Event', children: d.eventType },
            { key: 'event', label: 'Event id', children: <Typography.Text code copyable>{d.eventId}</Typography.Text>, span: 2 },
            { key: 'created', label: 'Created', children: <Time value={d.createdAt} /> },
            { key: 'next', label: 'Next attempt', children: <Time value={d.nextAttemptAt} /> },
            { key: 'code', label: 'Last response', children: d.lastStatusCode ?? '—' },
            { key: 'attempts', label: 'Attempts', children: d.attempts },
            ...(d.redeliveryOf ? [{ key: 'of', label: 'Redelivery of', children: <DeliveryLink id={d.redeliveryOf} onOpen={onOpen} /> }] : []),
            ...(d.redeliveries?.length ? [{
              key: 'as', label: 'Redelivered as', span: 2, children: (
                <Space wrap size={[12, 4]}>
                  {d.redeliveries.map((r) => <Space key={r.id} size={4}><DeliveryLink id={r.id} onOpen={onOpen} /><StatusTag status={r.status} /></Space>)}
                </Space>
              ),
            }] : []),
          ]} />
          <div>
            <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
              <Typography.Title level={5} style={{ margin: 0 }}>Payload</Typography.Title>
              <CopyButton text={d.payload} what="Payload" />
            </Flex>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{d.contentType}{d.signed ? ' · signed' : ' · unsigned'}</Typography.Text>
            <pre style={{ ...pre, marginTop: 4 }}>{pretty(d.payload)}</pre>
          </div>
          <div>
            <Typography.Title level={5}>Attempts</Typography.Title>
            {list.length === 0 ? <Empty description="No attempt yet." image={Empty.PRESENTED_IMAGE_SIMPLE} /> : (
              <Timeline items={list.map((a) => ({ key: a.id, color: a.outcome === 'ok' ? 'green' : 'red', children: <AttemptView a={a} /> }))} />
            )}
          </div>
        </Flex>
      )}
    </Drawer>
  );
}
