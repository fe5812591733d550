/** Flows: the list (name, on/off, catch URL, last run, created), create → editor, delete, import and export files. */
import { useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { App, Button, Empty, Form, Input, Modal, Popconfirm, Space, Switch, Table, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Page } from '../../components/Page';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { live } from '../../live';
import { rapi } from '../../api-receiver';
import type { Flow } from '../../types-receiver';

/** Saves a flow's exported definition as <name>.flow.json. */
export async function downloadFlow(flow: Flow): Promise<void> {
  const def = await rapi.exportFlow(flow.id);
  const blob = new Blob([JSON.stringify(def, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${flow.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.flow.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function LastRun({ flowId }: { flowId: number }) {
  const q = useQuery({ queryKey: ['runs', { flowId, limit: 1 }], queryFn: () => rapi.listRuns({ flowId, limit: 1 }), ...live(5000) });
  if (q.isError) return <Typography.Text type="danger">{errorText(q.error)}</Typography.Text>;
  const run = q.data?.runs[0];
  if (!run) return <Typography.Text type="secondary">{q.isLoading ? '…' : 'never'}</Typography.Text>;
  return <Space size={4}><Link to={`/runs/${run.id}`}><StatusTag status={run.status} /></Link><Time value={run.createdAt} /></Space>;
}

function NewFlowModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<{ name: string }>();
  const nav = useNavigate();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (name: string) => rapi.createFlow({ name, enabled: true, steps: [] }),
    onSuccess: ({ flow }) => { void qc.invalidateQueries({ queryKey: ['flows'] }); onClose(); nav(`/flows/${flow.id}`); },
  });
  return (
    <Modal open={open} title="New flow" okText="Create" onCancel={onClose} confirmLoading={create.isPending}
      onOk={() => form.submit()} destroyOnHidden afterOpenChange={(o) => { if (!o) { form.resetFields(); create.reset(); } }}>
      <Typography.Paragraph type="secondary">A flow starts with a catch hook: a URL that accepts any request. Add steps after.</Typography.Paragraph>
      <ErrorAlert error={create.error} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" requiredMark={false} onFinish={({ name }) => create.mutate(name.trim())}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }, { max: 200 }]}>
          <Input autoFocus placeholder="determined-alerts" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function FlowsPage() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const flows = useQuery({ queryKey: ['flows'], queryFn: rapi.listFlows, ...live(5000) });
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const onChange = () => qc.invalidateQueries({ queryKey: ['flows'] });

  const toggle = useMutation({
    mutationFn: ({ id, on }: { id: number; on: boolean }) => rapi.setFlowEnabled(id, on),
    onSuccess: ({ flow }) => { setActionError(null); void onChange(); void message.success(`Flow "${flow.name}" is ${flow.enabled ? 'on' : 'off'}.`); },
    onError: setActionError,
  });
  const remove = useMutation({
    mutationFn: (f: Flow) => rapi.deleteFlow(f.id).then(() => f),
    onSuccess: (f) => { setActionError(null); void onChange(); void message.success(`Flow "${f.name}" deleted.`); },
    onError: setActionError,
  });
  const importFile = async (file: File) => {
    setActionError(null);
    try {
      let def: unknown;
      try { def = JSON.parse(await file.text()); } catch (e) { throw new Error(`${file.name} is not JSON: ${(e as Error).message}`); }
      const { flow } = await rapi.importFlow(def);
      void onChange();
      void message.success(`Imported flow "${flow.name}".`);
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <Page title="Flows" subtitle="Catch hooks and the steps that run on each request."
      extra={<>
        <input ref={fileInput} type="file" accept=".json,application/json" hidden aria-label="Flow file"
          onChange={(e) => { const f = e.target.files?.[0]; e.target.value = ''; if (f) void importFile(f); }} />
        <Button icon={<UploadOutlined />} onClick={() => fileInput.current?.click()}>Import</Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>New Flow</Button>
      </>}>
      <ErrorAlert error={flows.error} style={{ marginBottom: 16 }} />
      <ErrorAlert error={actionError} style={{ marginBottom: 16 }} />
      <Table<Flow> rowKey="id" loading={flows.isLoading} dataSource={flows.data?.flows ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        locale={{ emptyText: <Empty description="No flows yet. Create one to get a catch URL." /> }}
        columns={[
          { title: 'Name', dataIndex: 'name', render: (_, f) => <Link to={`/flows/${f.id}`}>{f.name}</Link>, sorter: (a, b) => a.name.localeCompare(b.name) },
          {
            title: 'On', dataIndex: 'enabled', width: 70,
            render: (_, f) => <Switch size="small" checked={f.enabled} aria-label={`Flow ${f.name} on`}
              loading={toggle.isPending && toggle.variables?.id === f.id} onChange={(on) => toggle.mutate({ id: f.id, on })} />,
          },
          {
            title: 'Catch URL', dataIndex: 'catchUrl',
            render: (u: string) => <Space size={4}><Typography.Text code ellipsis style={{ maxWidth: 360 }}>{u}</Typography.Text><CopyButton text={u} what="Catch URL" /></Space>,
          },
          { title: 'Last run', key: 'lastRun', render: (_, f) => <LastRun flowId={f.id} /> },
          { title: 'Created', dataIndex: 'createdAt', render: (t: string) => <Time value={t} />, sorter: (a, b) => a.createdAt.localeCompare(b.createdAt) },
          {
            title: '', key: 'actions', width: 90, align: 'right',
            render: (_, f) => (
              <Space size={4}>
                <Button size="small" type="text" icon={<DownloadOutlined />} aria-label={`Export ${f.name}`}
                  onClick={() => downloadFlow(f).catch(setActionError)} />
                <Popconfirm title={`Delete flow "${f.name}"?`} description="Its captures and runs are deleted too." okText="Delete"
                  okButtonProps={{ danger: true }} onConfirm={() => remove.mutateAsync(f).catch(() => undefined)}>
                  <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={`Delete ${f.name}`} />
                </Popconfirm>
              </Space>
            ),
          },
        ]} />
      <NewFlowModal open={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
