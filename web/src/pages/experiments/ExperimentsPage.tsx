/**
 * Experiments reported to Switchyard, with their states and the events their state changes fired. For trying
 * webhooks out: create an experiment and move it through states (each change fires the matching triggers).
 */
import { useState } from 'react';
import { App, Button, Dropdown, Form, Input, Modal, Select, Table, Tooltip, Typography, type MenuProps, type TableColumnsType } from 'antd';
import { DownOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Experiment } from '../../types';
import { Page } from '../../components/Page';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { live } from '../../live';

/** States offered in "Move to", in a lifecycle order (Determined's experiment states). */
export const STATES = [
  'ACTIVE', 'RUNNING', 'PAUSED', 'STOPPING_COMPLETED', 'COMPLETED', 'STOPPING_CANCELED', 'CANCELED', 'STOPPING_KILLED',
  'STOPPING_ERROR', 'ERROR', 'DELETING', 'DELETE_FAILED', 'DELETED', 'PARTIALLY_DELETED',
] as const;

/** An ended experiment (as the server sees it) may only move on to the deletion states. */
const ENDED = new Set(['COMPLETED', 'CANCELED', 'ERROR', 'DELETING', 'DELETE_FAILED', 'DELETED', 'PARTIALLY_DELETED']);
const DELETION = new Set(['DELETING', 'DELETE_FAILED', 'DELETED', 'PARTIALLY_DELETED']);

/** The states an experiment in `current` can move to (the server refuses the others with invalid_transition). */
export function nextStates(current: string): string[] {
  return STATES.filter((s) => s !== current && (!ENDED.has(current) || DELETION.has(s)));
}

interface NewExperiment { name: string; workspace?: string; project?: string; webhookNames?: string[] }

function NewExperimentModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<NewExperiment>();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: api.listWorkspaces, enabled: open });
  const webhooks = useQuery({ queryKey: ['webhooks'], queryFn: api.listWebhooks, enabled: open });
  const create = useMutation({
    mutationFn: (v: NewExperiment) => api.createExperiment({
      name: v.name.trim(), workspace: v.workspace, project: v.project?.trim() || undefined,
      ...(v.webhookNames?.length ? { integrations: { webhooks: { webhook_name: v.webhookNames } } } : {}),
    }),
    onSuccess: async (r) => {
      void message.success(`Experiment ${r.experiment.name} created (ACTIVE).`);
      await qc.invalidateQueries({ queryKey: ['experiments'] });
      onClose();
    },
  });
  const close = () => { create.reset(); onClose(); };
  return (
    <Modal open={open} title="New Experiment" okText="Create Experiment" onOk={() => form.submit()} onCancel={close}
      confirmLoading={create.isPending} destroyOnHidden>
      <Typography.Paragraph type="secondary">
        Switchyard does not run experiments: this reports one, as a training job or a Determined master would.
      </Typography.Paragraph>
      <ErrorAlert error={create.error} title="Unable to create the experiment." style={{ marginBottom: 16 }} />
      <Form form={form} name="newExperiment" layout="vertical" preserve={false} onFinish={(v) => create.mutate(v)}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }]}>
          <Input autoFocus maxLength={255} />
        </Form.Item>
        <Form.Item label="Workspace" name="workspace">
          <Select allowClear placeholder="Uncategorized"
            options={(workspaces.data?.workspaces ?? []).map((w) => ({ value: w.name, label: w.name }))} />
        </Form.Item>
        <Form.Item label="Project" name="project"><Input placeholder="Uncategorized" /></Form.Item>
        <Form.Item label="Webhooks named in its configuration" name="webhookNames"
          extra="For webhooks triggered by “Specific experiment(s)” and for CUSTOM triggers.">
          <Select mode="tags" placeholder="Webhook names"
            options={(webhooks.data?.webhooks ?? []).map((w) => ({ value: w.name, label: w.name }))} />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

function MoveTo({ e }: { e: Experiment }) {
  const { message, notification } = App.useApp();
  const qc = useQueryClient();
  const current = e.state.replace(/^STATE_/, '');
  const move = useMutation({
    mutationFn: (state: string) => api.setExperimentState(e.id, state),
    onSuccess: async (r, state) => {
      void message.success(`${e.name} is now ${state}: ${r.eventsFired} ${r.eventsFired === 1 ? 'event' : 'events'} fired.`);
      await qc.invalidateQueries({ queryKey: ['experiments'] });
    },
    onError: (err) => notification.error({ message: `Unable to move ${e.name}.`, description: errorText(err) }),
  });
  const items: MenuProps['items'] = nextStates(current).map((s) => ({ key: s, label: s }));
  return (
    <Dropdown menu={{ items, onClick: ({ key }) => move.mutate(key) }} trigger={['click']}>
      <Button size="small" loading={move.isPending} aria-label={`Move experiment ${e.name} to another state`}>
        Move to <DownOutlined />
      </Button>
    </Dropdown>
  );
}

export function ExperimentsPage() {
  const [creating, setCreating] = useState(false);
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const q = useQuery({
    queryKey: ['experiments', page.current, page.pageSize],
    queryFn: () => api.listExperiments({ limit: page.pageSize, offset: (page.current - 1) * page.pageSize }),
    ...live(5000),
  });
  const columns: TableColumnsType<Experiment> = [
    { title: 'ID', dataIndex: 'id', width: 70 },
    { title: 'Name', dataIndex: 'name', ellipsis: true },
    { title: 'Workspace', dataIndex: 'workspace', width: 140, render: (w: string) => w || 'Uncategorized' },
    { title: 'Project', dataIndex: 'project', width: 140, render: (p: string) => p || 'Uncategorized' },
    { title: 'State', dataIndex: 'state', width: 170, render: (s: string) => <StatusTag status={s} /> },
    {
      title: <Tooltip title="Events fired by its state changes and custom alerts: one per webhook trigger that matched.">Events fired</Tooltip>,
      key: 'events', width: 110, render: (_, e) => e.eventsFired,
    },
    { title: 'Started', dataIndex: 'startTime', width: 120, render: (t: string) => <Time value={t} /> },
    { title: 'Ended', dataIndex: 'endTime', width: 120, render: (t: string | null) => <Time value={t} /> },
    { title: '', key: 'actions', width: 120, align: 'right', render: (_, e) => <MoveTo e={e} /> },
  ];
  return (
    <Page title="Experiments" subtitle="Reported by producers; their state changes fire EXPERIMENT_STATE_CHANGE triggers."
      extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>New Experiment</Button>}>
      <ErrorAlert error={q.error} title="Unable to load experiments." style={{ marginBottom: 16 }} />
      <Table<Experiment>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={q.data?.experiments ?? []}
        loading={q.isLoading}
        scroll={{ x: 1000 }}
        locale={{ emptyText: 'No experiments yet. Producers report them with POST /api/v1/experiments, or create one here.' }}
        pagination={{
          ...page, total: q.data?.pagination.total ?? 0, showSizeChanger: true, showTotal: (n) => `${n} ${n === 1 ? 'experiment' : 'experiments'}`,
          onChange: (current, pageSize) => setPage({ current, pageSize }),
        }}
      />
      <NewExperimentModal open={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
