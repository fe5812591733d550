/** SMTP settings (admin only): host, port, TLS, login (write-only password), sender; send a test email; remove. */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Flex, Form, Input, InputNumber, Popconfirm, Space, Spin, Typography } from 'antd';
import { MailOutlined, SaveOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isMissingRoute, rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import type { SmtpInput } from '../../types-receiver';
import { AdminOnly, isForbidden } from './TokensTab';

export function NoApiYet({ what }: { what: string }) {
  return <Alert type="info" showIcon style={{ maxWidth: 860 }} message={`This server has no ${what} API yet`} description="Update Switchyard to manage this here; until then it is set in the config file." />;
}

interface FormValues { host: string; port: number | null; secure: boolean; user: string; password: string; clearPassword: boolean; from: string }

export function SmtpTab() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const [testTo, setTestTo] = useState('');
  const q = useQuery({ queryKey: ['smtp'], queryFn: rapi.getSmtp, retry: false });
  const smtp = q.data?.smtp;
  useEffect(() => {
    if (smtp) form.setFieldsValue({ host: smtp.host ?? '', port: smtp.port, secure: smtp.secure ?? false, user: smtp.user ?? '', from: smtp.from ?? '', password: '', clearPassword: false });
  }, [smtp, form]);
  const save = useMutation({
    mutationFn: (v: FormValues) => {
      const body: SmtpInput = { host: v.host.trim(), secure: v.secure };
      if (v.port) body.port = v.port;
      if (v.user?.trim()) body.user = v.user.trim();
      if (v.from?.trim()) body.from = v.from.trim();
      if (v.clearPassword) body.password = null; else if (v.password) body.password = v.password;
      return rapi.putSmtp(body);
    },
    onSuccess: (r) => { qc.setQueryData(['smtp'], r); void message.success('SMTP settings saved.'); },
  });
  const remove = useMutation({
    mutationFn: rapi.deleteSmtp,
    onSuccess: (r) => { qc.setQueryData(['smtp'], r); void message.success('SMTP settings removed.'); },
  });
  const test = useMutation({ mutationFn: () => rapi.testSmtp(testTo.trim()), onSuccess: () => void message.success(`Test email sent to ${testTo}.`) });
  if (q.isLoading) return <Spin />;
  if (isMissingRoute(q.error)) return <NoApiYet what="SMTP settings" />;
  if (isForbidden(q.error)) return <AdminOnly what="SMTP settings" />;
  return (
    <Flex vertical gap={16} style={{ maxWidth: 860 }}>
      <ErrorAlert error={q.error} />
      <Card size="small" title="Outgoing mail server" extra={smtp && <Typography.Text type="secondary">from: {smtp.source}</Typography.Text>}>
        <Typography.Paragraph type="secondary">Used by send_email steps and email alert channels (a step may name its own server).</Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} initialValues={{ secure: false, clearPassword: false }}>
          <Flex gap={12} wrap="wrap">
            <Form.Item name="host" label="Host" rules={[{ required: true, whitespace: true, message: 'Host is required.' }]} style={{ flex: '2 1 260px' }}>
              <Input placeholder="smtp.example.com" aria-label="SMTP host" />
            </Form.Item>
            <Form.Item name="port" label="Port" style={{ flex: '0 0 120px' }} help="Default 587 (465 with TLS)">
              <InputNumber min={1} max={65535} aria-label="SMTP port" style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="secure" label=" " valuePropName="checked"><Checkbox>Implicit TLS</Checkbox></Form.Item>
          </Flex>
          <Flex gap={12} wrap="wrap">
            <Form.Item name="user" label="User" style={{ flex: '1 1 200px' }}><Input autoComplete="off" aria-label="SMTP user" /></Form.Item>
            <Form.Item name="password" label="Password" style={{ flex: '1 1 200px' }}
              help={smtp?.passwordSet ? 'A password is set; leave empty to keep it.' : 'No password set.'}>
              <Input.Password autoComplete="new-password" aria-label="SMTP password" />
            </Form.Item>
            {smtp?.passwordSet && <Form.Item name="clearPassword" label=" " valuePropName="checked"><Checkbox>Remove the password</Checkbox></Form.Item>}
          </Flex>
          <Form.Item name="from" label="Sender (From)"><Input placeholder="switchyard@example.com" aria-label="SMTP sender" /></Form.Item>
          <ErrorAlert error={save.error ?? remove.error} style={{ marginBottom: 12 }} />
          <Space>
            <Button type="primary" htmlType="submit" icon={<SaveOutlined />} loading={save.isPending}>Save SMTP settings</Button>
            {smtp?.source === 'api' && (
              <Popconfirm title="Remove the SMTP settings made here?" okText="Remove" okButtonProps={{ danger: true }} onConfirm={() => remove.mutateAsync().catch(() => undefined)}>
                <Button danger>Remove</Button>
              </Popconfirm>
            )}
          </Space>
        </Form>
      </Card>
      <Card size="small" title="Send a test email">
        <Space.Compact style={{ width: '100%', maxWidth: 520 }}>
          <Input value={testTo} onChange={(e) => setTestTo(e.target.value)} placeholder="you@example.com" aria-label="Test email address" onPressEnter={() => testTo.trim() && test.mutate()} />
          <Button icon={<MailOutlined />} disabled={!testTo.trim()} loading={test.isPending} onClick={() => test.mutate()}>Send test</Button>
        </Space.Compact>
        <ErrorAlert error={test.error} style={{ marginTop: 12 }} />
      </Card>
    </Flex>
  );
}
