/** API tokens (admin only): create (the token is shown once), revoke; and the signing key (show). */
import { useState } from 'react';
import { Alert, App, Button, Card, Empty, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { EyeOutlined, KeyOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import { Time } from '../../components/Time';
import type { ApiToken } from '../../types-receiver';

export const isForbidden = (e: unknown) => e instanceof ApiError && e.status === 403;
export function AdminOnly({ what }: { what: string }) {
  return <Alert type="info" showIcon message={`${what} is for admins`} description="Log in with an admin token to see and change it." />;
}

export function TokensTab() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ name: string; role: 'admin' | 'user' }>();
  const [created, setCreated] = useState<{ token: ApiToken; secret: string } | null>(null);
  const q = useQuery({ queryKey: ['tokens'], queryFn: rapi.listTokens, retry: false });
  const create = useMutation({
    mutationFn: (v: { name: string; role: 'admin' | 'user' }) => rapi.createToken(v.name.trim(), v.role),
    onSuccess: (r) => { form.resetFields(); setCreated(r); void qc.invalidateQueries({ queryKey: ['tokens'] }); },
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => rapi.revokeToken(t.id).then(() => t),
    onSuccess: (t) => { void qc.invalidateQueries({ queryKey: ['tokens'] }); void message.success(`Token "${t.name}" revoked.`); },
  });
  if (isForbidden(q.error)) return <AdminOnly what="API tokens" />;
  return (
    <div style={{ maxWidth: 980 }}>
      <Form form={form} layout="inline" initialValues={{ role: 'user' }} onFinish={(v) => create.mutate(v)} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }]}>
          <Input placeholder="ci" aria-label="Token name" style={{ width: 220 }} />
        </Form.Item>
        <Form.Item name="role" label="Role">
          <Select style={{ width: 120 }} aria-label="Token role" options={[{ value: 'user', label: 'user' }, { value: 'admin', label: 'admin' }]} />
        </Form.Item>
        <Button type="primary" htmlType="submit" icon={<PlusOutlined />} loading={create.isPending}>Create token</Button>
      </Form>
      <ErrorAlert error={q.error ?? create.error ?? revoke.error} style={{ marginBottom: 16 }} />
      <Table<ApiToken> rowKey="id" size="small" loading={q.isLoading} dataSource={q.data?.tokens ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No tokens." /> }}
        columns={[
          { title: 'Name', dataIndex: 'name' },
          { title: 'Role', dataIndex: 'role', render: (r: string) => <Tag color={r === 'admin' ? 'purple' : undefined}>{r}</Tag> },
          { title: 'Prefix', dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
          { title: 'Created', dataIndex: 'createdAt', render: (t: string) => <Time value={t} /> },
          { title: 'Last used', dataIndex: 'lastUsedAt', render: (t: string | null) => <Time value={t} empty="never" /> },
          {
            title: '', key: 'actions', align: 'right',
            render: (_, t) => t.revokedAt ? <Typography.Text type="secondary">revoked <Time value={t.revokedAt} /></Typography.Text> : (
              <Popconfirm title={`Revoke token "${t.name}"?`} description="Anything using it is refused at once. This cannot be undone." okText="Revoke"
                okButtonProps={{ danger: true }} onConfirm={() => revoke.mutateAsync(t).catch(() => undefined)}>
                <Button size="small" danger>Revoke</Button>
              </Popconfirm>
            ),
          },
        ]} />
      <Modal open={created !== null} title={`Token "${created?.token.name}" created`} onCancel={() => setCreated(null)}
        footer={<Button type="primary" onClick={() => setCreated(null)}>I have copied it</Button>}>
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} message="Copy the token now: it is shown only once. Switchyard keeps only its hash." />
        <Space.Compact style={{ width: '100%' }}>
          <Input readOnly value={created?.secret} aria-label="New token" style={{ fontFamily: 'monospace' }} />
          <CopyButton text={created?.secret ?? ''} what="Token" label="Copy" />
        </Space.Compact>
      </Modal>
    </div>
  );
}

export function SigningKeyTab() {
  const [shown, setShown] = useState(false);
  const q = useQuery({ queryKey: ['signing-key'], queryFn: rapi.signingKey, enabled: shown, retry: false });
  if (isForbidden(q.error)) return <AdminOnly what="The signing key" />;
  return (
    <Card size="small" style={{ maxWidth: 860 }} title={<Space><KeyOutlined />Determined signing key</Space>}>
      <Typography.Paragraph type="secondary">
        The key behind <code>X-Determined-AI-Signature</code> on every webhook Switchyard sends (<code>webhooks.signing_key</code> in the
        config, else generated on first start and kept in the database). Receivers verify with it: store it as a secret for a verify step.
        It is changed in the config file (this server offers no rotation over the API).
      </Typography.Paragraph>
      <ErrorAlert error={q.error} style={{ marginBottom: 12 }} />
      {!shown ? <Button icon={<EyeOutlined />} onClick={() => setShown(true)}>Show signing key</Button> : q.data ? (
        <Space.Compact style={{ width: '100%' }}>
          <Input readOnly value={q.data.signingKey} aria-label="Signing key" style={{ fontFamily: 'monospace' }} />
          <CopyButton text={q.data.signingKey} what="Signing key" label="Copy" />
        </Space.Compact>
      ) : q.isLoading ? 'Loading…' : null}
    </Card>
  );
}
