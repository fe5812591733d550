/** Secrets: names only; a value can be set (or replaced) and deleted, never read back. */
import { App, Button, Empty, Form, Input, Popconfirm, Space, Table, Typography } from 'antd';
import { DeleteOutlined, LockOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import type { Secret } from '../../types-receiver';

export function SecretsTab() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ name: string; value: string }>();
  const q = useQuery({ queryKey: ['secrets'], queryFn: rapi.listSecrets });
  const put = useMutation({
    mutationFn: ({ name, value }: { name: string; value: string }) => rapi.putSecret(name, value).then(() => name),
    onSuccess: (name) => { form.resetFields(); void qc.invalidateQueries({ queryKey: ['secrets'] }); void message.success(`Secret ${name} saved.`); },
  });
  const del = useMutation({
    mutationFn: (name: string) => rapi.deleteSecret(name).then(() => name),
    onSuccess: (name) => { void qc.invalidateQueries({ queryKey: ['secrets'] }); void message.success(`Secret ${name} deleted.`); },
  });
  return (
    <div style={{ maxWidth: 860 }}>
      <Typography.Paragraph type="secondary">
        Steps refer to a secret by name (a verify step's keys, an SMTP password, a Slack URL). Values are write-only: they are never shown again,
        never logged, and replaced by <code>[secret NAME]</code> in run records.
      </Typography.Paragraph>
      <Form form={form} layout="inline" onFinish={(v) => put.mutate({ name: v.name.trim(), value: v.value })} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }]}>
          <Input placeholder="DET_KEY" aria-label="Secret name" style={{ width: 220 }} />
        </Form.Item>
        <Form.Item name="value" label="Value" rules={[{ required: true, message: 'Value is required.' }]}>
          <Input.Password placeholder="value" aria-label="Secret value" autoComplete="new-password" style={{ width: 280 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" icon={<LockOutlined />} loading={put.isPending}>Set secret</Button>
      </Form>
      <ErrorAlert error={q.error ?? put.error ?? del.error} style={{ marginBottom: 16 }} />
      <Table<Secret> rowKey="name" size="small" loading={q.isLoading} dataSource={q.data?.secrets ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No secrets yet." /> }}
        columns={[
          { title: 'Name', dataIndex: 'name', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
          { title: 'Value', key: 'value', render: () => <Typography.Text type="secondary">•••••• (write-only)</Typography.Text> },
          { title: 'Updated', dataIndex: 'updatedAt', render: (t: string) => <Time value={t} /> },
          {
            title: '', key: 'actions', align: 'right',
            render: (_, s) => (
              <Space>
                <Button size="small" onClick={() => form.setFieldsValue({ name: s.name, value: '' })}>Replace value</Button>
                <Popconfirm title={`Delete secret ${s.name}?`} description="Steps that use it will fail until it is set again." okText="Delete" okButtonProps={{ danger: true }}
                  onConfirm={() => del.mutateAsync(s.name).catch(() => undefined)}>
                  <Button size="small" danger icon={<DeleteOutlined />} aria-label={`Delete secret ${s.name}`} />
                </Popconfirm>
              </Space>
            ),
          },
        ]} />
    </div>
  );
}
