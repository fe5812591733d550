/** Alert channels: where alerts are sent (email, Slack, HTTP), with filters; create, edit, enable, test, delete. */
import { useState } from 'react';
import { App, Button, Empty, Form, Input, Modal, Popconfirm, Select, Space, Spin, Switch, Table, Tag, Typography } from 'antd';
import { PlusOutlined, SendOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isMissingRoute, rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import type { AlertChannel, AlertChannelInput, ChannelKind } from '../../types-receiver';
import { NoApiYet } from './SmtpTab';
import { AdminOnly, isForbidden } from './TokensTab';

const ALERT_KINDS = ['delivery.dead', 'webhook.disabled', 'flow.alert', 'run.failed'];
const SEVERITIES = ['info', 'warning', 'error'];

interface FormValues { name: string; kind: ChannelKind; enabled: boolean; to: string; url: string; method: string; headers: string; kinds: string[]; severities: string[]; names: string[] }

function toInput(v: FormValues, editing: AlertChannel | null): Partial<AlertChannelInput> {
  let config: Record<string, unknown> | undefined;
  if (v.kind === 'email') config = { to: v.to.split(',').map((s) => s.trim()).filter(Boolean) };
  else if (v.kind === 'slack') config = v.url?.trim() ? { url: v.url.trim() } : editing?.kind === 'slack' ? undefined : { url: '' };
  else {
    const headers: Record<string, string> = {};
    for (const line of (v.headers ?? '').split('\n')) { const i = line.indexOf(':'); if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim(); }
    config = { url: v.url?.trim(), method: v.method, ...(v.headers?.trim() ? { headers } : {}) };
  }
  const filter = { ...(v.kinds?.length ? { kinds: v.kinds } : {}), ...(v.severities?.length ? { severities: v.severities } : {}), ...(v.names?.length ? { names: v.names } : {}) };
  return { name: v.name.trim(), kind: v.kind, enabled: v.enabled, filter: Object.keys(filter).length ? filter : null, ...(config ? { config } : {}) };
}

function ChannelModal({ open, editing, onClose }: { open: boolean; editing: AlertChannel | null; onClose: () => void }) {
  const [form] = Form.useForm<FormValues>();
  const qc = useQueryClient();
  const kind = Form.useWatch('kind', form);
  const save = useMutation({
    mutationFn: (v: FormValues) => (editing ? rapi.updateChannel(editing.id, toInput(v, editing)) : rapi.createChannel(toInput(v, null) as AlertChannelInput)),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['alert-channels'] }); onClose(); },
  });
  const initial: Partial<FormValues> = editing ? {
    name: editing.name, kind: editing.kind, enabled: editing.enabled, to: ((editing.config.to as string[]) ?? []).join(', '),
    url: editing.kind === 'http' ? String(editing.config.url ?? '') : '', method: String(editing.config.method ?? 'POST'), headers: '',
    kinds: editing.filter?.kinds ?? [], severities: editing.filter?.severities ?? [], names: editing.filter?.names ?? [],
  } : { kind: 'email', enabled: true, method: 'POST', kinds: [], severities: [], names: [] };
  return (
    <Modal open={open} title={editing ? `Edit channel "${editing.name}"` : 'New alert channel'} okText="Save" onOk={() => form.submit()} onCancel={onClose}
      confirmLoading={save.isPending} destroyOnHidden afterOpenChange={(o) => { if (!o) save.reset(); }}>
      <ErrorAlert error={save.error} style={{ marginBottom: 12 }} />
      <Form form={form} layout="vertical" initialValues={initial} preserve={false} onFinish={(v) => save.mutate(v)}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }]}><Input aria-label="Channel name" /></Form.Item>
        <Space>
          <Form.Item name="kind" label="Kind"><Select style={{ width: 140 }} aria-label="Channel kind" options={[{ value: 'email', label: 'Email' }, { value: 'slack', label: 'Slack' }, { value: 'http', label: 'HTTP' }]} /></Form.Item>
          <Form.Item name="enabled" label="On" valuePropName="checked"><Switch aria-label="Channel on" /></Form.Item>
        </Space>
        {kind === 'email' && <Form.Item name="to" label="To (comma-separated)" rules={[{ required: true, message: 'At least one address.' }]}><Input aria-label="Channel recipients" /></Form.Item>}
        {kind === 'slack' && <Form.Item name="url" label="Slack incoming webhook URL" help={editing?.kind === 'slack' ? 'Stored secretly; leave empty to keep it.' : undefined}><Input.Password aria-label="Slack URL" autoComplete="off" /></Form.Item>}
        {kind === 'http' && <>
          <Space.Compact style={{ width: '100%' }}>
            <Form.Item name="method" noStyle><Select style={{ width: 100 }} options={[{ value: 'POST', label: 'POST' }, { value: 'PUT', label: 'PUT' }]} aria-label="HTTP method" /></Form.Item>
            <Form.Item name="url" noStyle><Input placeholder="https://example.com/alerts" aria-label="HTTP URL" /></Form.Item>
          </Space.Compact>
          <Form.Item name="headers" label="Headers (one per line, Name: value; stored secretly)" style={{ marginTop: 12 }}
            help={editing?.kind === 'http' ? 'Leave empty to keep the current headers.' : undefined}><Input.TextArea autoSize aria-label="HTTP headers" /></Form.Item>
        </>}
        <Typography.Text type="secondary">Filter (empty: every alert)</Typography.Text>
        <Form.Item name="kinds" label="Alert kinds"><Select mode="multiple" options={ALERT_KINDS.map((k) => ({ value: k, label: k }))} aria-label="Alert kinds" /></Form.Item>
        <Form.Item name="severities" label="Severities"><Select mode="multiple" options={SEVERITIES.map((k) => ({ value: k, label: k }))} aria-label="Severities" /></Form.Item>
        <Form.Item name="names" label="Alert names"><Select mode="tags" aria-label="Alert names" /></Form.Item>
      </Form>
    </Modal>
  );
}

function describe(c: AlertChannel): string {
  if (c.kind === 'email') return ((c.config.to as string[]) ?? []).join(', ');
  if (c.kind === 'slack') return String(c.config.url ?? '');
  return `${String(c.config.method ?? 'POST')} ${String(c.config.url ?? '')}`;
}

export function ChannelsTab() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [modal, setModal] = useState<{ editing: AlertChannel | null } | null>(null);
  const q = useQuery({ queryKey: ['alert-channels'], queryFn: rapi.listChannels, retry: false });
  const onDone = () => qc.invalidateQueries({ queryKey: ['alert-channels'] });
  const toggle = useMutation({ mutationFn: (c: AlertChannel) => rapi.updateChannel(c.id, { enabled: !c.enabled }), onSuccess: onDone });
  const del = useMutation({ mutationFn: (c: AlertChannel) => rapi.deleteChannel(c.id).then(() => c), onSuccess: (c) => { void onDone(); void message.success(`Channel "${c.name}" deleted.`); } });
  const test = useMutation({ mutationFn: (c: AlertChannel) => rapi.testChannel(c.id).then(() => c), onSuccess: (c) => void message.success(`Test alert sent to "${c.name}".`) });
  if (q.isLoading) return <Spin />;
  if (isMissingRoute(q.error)) return <NoApiYet what="alert channels" />;
  if (isForbidden(q.error)) return <AdminOnly what="Alert channels" />;
  return (
    <div>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setModal({ editing: null })}>New channel</Button>
        <Typography.Text type="secondary">Alerts are sent to every channel that is on and whose filter they pass.</Typography.Text>
      </Space>
      <ErrorAlert error={q.error ?? toggle.error ?? del.error ?? test.error} style={{ marginBottom: 16 }} />
      <Table<AlertChannel> rowKey="id" size="small" loading={q.isLoading} dataSource={q.data?.channels ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No alert channels: alerts are only listed on the Alerts page." /> }}
        columns={[
          { title: 'Name', dataIndex: 'name' },
          { title: 'Kind', dataIndex: 'kind', render: (k: string) => <Tag>{k}</Tag> },
          { title: 'Where', key: 'where', ellipsis: true, render: (_, c) => describe(c) },
          { title: 'Filter', dataIndex: 'filter', render: (f: AlertChannel['filter']) => f ? [...(f.kinds ?? []), ...(f.severities ?? []), ...(f.names ?? [])].map((x) => <Tag key={x}>{x}</Tag>) : <Typography.Text type="secondary">all alerts</Typography.Text> },
          { title: 'On', dataIndex: 'enabled', render: (on: boolean, c) => <Switch size="small" checked={on} onChange={() => toggle.mutate(c)} aria-label={`Channel ${c.name} on`} /> },
          { title: 'Updated', dataIndex: 'updatedAt', render: (t: string) => <Time value={t} /> },
          {
            title: '', key: 'actions', align: 'right', render: (_, c) => (
              <Space>
                <Button size="small" icon={<SendOutlined />} loading={test.isPending && test.variables?.id === c.id} onClick={() => test.mutate(c)}>Test</Button>
                <Button size="small" onClick={() => setModal({ editing: c })}>Edit</Button>
                <Popconfirm title={`Delete channel "${c.name}"?`} okText="Delete" okButtonProps={{ danger: true }} onConfirm={() => del.mutateAsync(c).catch(() => undefined)}>
                  <Button size="small" danger>Delete</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]} />
      <ChannelModal open={modal !== null} editing={modal?.editing ?? null} onClose={() => setModal(null)} />
    </div>
  );
}
