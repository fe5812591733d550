/**
 * Test Trigger: the requests the catch hook caught (live, newest first); a capture's raw body (text, or hex for
 * binary) and headers in their original order with duplicates; use one as the sample, or run the flow on it.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Empty, Row, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlayCircleOutlined, PushpinOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { live } from '../../live';
import type { Capture, Flow } from '../../types-receiver';
import { PRE_STYLE } from './fields';

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A hex dump: offset, 16 bytes in hex, and their printable ASCII. */
export function hexDump(base64: string, max = 4096): string {
  const bin = atob(base64);
  const lines: string[] = [];
  const n = Math.min(bin.length, max);
  for (let off = 0; off < n; off += 16) {
    const bytes = Array.from(bin.slice(off, Math.min(off + 16, n)), (c) => c.charCodeAt(0));
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = bytes.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bin.length > max) lines.push(`… ${bin.length - max} more bytes`);
  return lines.join('\n');
}

function prettyBody(c: Capture): string | null {
  if (c.body === null) return null;
  if (/json/i.test(c.contentType) || /^\s*[[{]/.test(c.body)) {
    try { return JSON.stringify(JSON.parse(c.body), null, 2); } catch { /* as is */ }
  }
  return null;
}

function CaptureDetail({ flow, capture }: { flow: Flow; capture: Capture }) {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const nav = useNavigate();
  const sample = useMutation({
    mutationFn: () => rapi.setSample(flow.id, capture.id),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', flow.id], { flow: f }); void message.success(`Capture #${capture.id} is the flow's sample.`); },
  });
  const run = useMutation({
    mutationFn: () => rapi.runCapture(flow.id, capture.id),
    onSuccess: ({ run: r }) => { void qc.invalidateQueries({ queryKey: ['runs'] }); void message.success(`Run #${r.id} started.`); nav(`/runs/${r.id}`); },
  });
  const pretty = prettyBody(capture);
  const isSample = flow.sampleCaptureId === capture.id;
  return (
    <Card size="small" title={<Space>{`Capture #${capture.id}`}{isSample && <Tag color="gold">sample</Tag>}</Space>}
      extra={<Space>
        <Button icon={<PushpinOutlined />} disabled={isSample} loading={sample.isPending} onClick={() => sample.mutate()}>Use as sample</Button>
        <Button type="primary" icon={<PlayCircleOutlined />} loading={run.isPending} onClick={() => run.mutate()}
          title={flow.enabled ? undefined : 'Runs even while the flow is off'}>Run flow on it</Button>
      </Space>}>
      <ErrorAlert error={sample.error ?? run.error} style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        <Typography.Text code>{capture.method} {capture.path}{capture.query ? `?${capture.query}` : ''}</Typography.Text>{' '}
        from {capture.remoteAddress || 'unknown'}, <Time value={capture.receivedAt} />, {formatSize(capture.size)}, {capture.contentType || 'no content type'}
      </Typography.Paragraph>
      <Tabs size="small" items={[
        {
          key: 'body', label: capture.body === null ? 'Body (binary)' : 'Body',
          children: capture.size === 0 ? <Typography.Text type="secondary">Empty body.</Typography.Text> : (
            <>
              <Space style={{ marginBottom: 8 }}>
                {capture.body !== null && <CopyButton text={capture.body} what="Body" label="Copy raw body" />}
                {capture.body === null && <Typography.Text type="secondary">Not UTF-8 text: shown as hex.</Typography.Text>}
              </Space>
              <pre style={PRE_STYLE} aria-label="Capture body">{capture.body === null ? hexDump(capture.bodyBase64) : capture.body}</pre>
              {pretty && pretty !== capture.body && (
                <details style={{ marginTop: 8 }}><summary>Formatted JSON</summary><pre style={PRE_STYLE}>{pretty}</pre></details>
              )}
            </>
          ),
        },
        {
          key: 'headers', label: `Headers (${capture.headers.length})`,
          children: (
            <Table size="small" rowKey={(_, i) => String(i)} pagination={false} dataSource={capture.headers} aria-label="Capture headers"
              columns={[
                { title: 'Name', dataIndex: 'name', width: '35%', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
                { title: 'Value', dataIndex: 'value', render: (v: string) => <Typography.Text style={{ wordBreak: 'break-all' }}>{v}</Typography.Text> },
              ]} />
          ),
        },
      ]} />
    </Card>
  );
}

export function TestTriggerTab({ flow }: { flow: Flow }) {
  const q = useQuery({ queryKey: ['captures', flow.id], queryFn: () => rapi.listCaptures(flow.id), ...live() });
  const [selected, setSelected] = useState<number | null>(null);
  const captures = q.data?.captures ?? [];
  const current = captures.find((c) => c.id === selected) ?? captures.find((c) => c.id === flow.sampleCaptureId) ?? captures[0];
  return (
    <div>
      <Alert type="info" showIcon style={{ marginBottom: 16 }}
        message={<span>Send a request to the catch URL; it shows up here within seconds. <Typography.Text code copyable>{flow.catchUrl}</Typography.Text></span>} />
      <ErrorAlert error={q.error} style={{ marginBottom: 16 }} />
      <Row gutter={16}>
        <Col xs={24} xl={10}>
          <Table<Capture> rowKey="id" size="small" loading={q.isLoading} dataSource={captures}
            pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false, size: 'small' }}
            rowClassName={(c) => (c.id === current?.id ? 'ant-table-row-selected' : '')}
            onRow={(c) => ({ onClick: () => setSelected(c.id), onKeyDown: (e) => { if (e.key === 'Enter') setSelected(c.id); }, tabIndex: 0, style: { cursor: 'pointer' } })}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No requests caught yet." /> }}
            columns={[
              {
                title: 'Received', dataIndex: 'receivedAt',
                render: (t: string, c) => <span>#{c.id} <Time value={t} />{c.id === flow.sampleCaptureId ? <Tag color="gold" style={{ marginLeft: 6 }}>sample</Tag> : null}</span>,
              },
              { title: 'Method', dataIndex: 'method', render: (m: string) => <Tag>{m}</Tag> },
              { title: 'Size', dataIndex: 'size', render: formatSize },
              { title: 'Content type', dataIndex: 'contentType', ellipsis: true, render: (t: string) => t || '—' },
              { title: 'Status', dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
            ]} />
        </Col>
        <Col xs={24} xl={14}>
          {current ? <CaptureDetail flow={flow} capture={current} /> : <Empty description="Choose a capture to see its body and headers." />}
        </Col>
      </Row>
    </div>
  );
}
