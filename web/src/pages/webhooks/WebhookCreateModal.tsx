/** Determined's "New Webhook" modal (spec section 6): fields, validation messages, trigger options, toasts. */
import { useState } from 'react';
import { App, Button, Flex, Form, Input, Modal, Select, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { MODE_OPTIONS, TRIGGER_OPTIONS, TYPE_OPTIONS, toWebhookInput, type WebhookFormValues } from './webhookModel';

export const LEARN_MORE_URL = 'https://docs.determined.ai/latest/integrations/notification/_index.html';

export function WebhookCreateModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<WebhookFormValues>();
  const { notification } = App.useApp();
  const qc = useQueryClient();
  const [hasErrors, setHasErrors] = useState(false);
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: api.listWorkspaces, enabled: open });
  const triggerEvents = Form.useWatch('triggerEvents', form) ?? [];
  const custom = triggerEvents.includes('CUSTOM');
  const create = useMutation({
    mutationFn: (v: WebhookFormValues) => api.createWebhook(toWebhookInput(v)),
    onSuccess: async () => {
      notification.success({ message: 'Webhook created.' });
      await qc.invalidateQueries({ queryKey: ['webhooks'] });
      form.resetFields();
      onClose();
    },
    onError: (e) => notification.error({ message: 'Unable to create webhook.', description: errorText(e) }),
  });
  const close = () => {
    create.reset();
    onClose();
  };
  return (
    <Modal
      open={open}
      title="New Webhook"
      onCancel={close}
      destroyOnHidden
      width={560}
      footer={
        <Flex justify="space-between" align="center">
          <Typography.Link href={LEARN_MORE_URL} target="_blank" rel="noreferrer">Learn more</Typography.Link>
          <Flex gap={8}>
            <Button onClick={close}>Cancel</Button>
            <Button type="primary" onClick={() => form.submit()} disabled={hasErrors} loading={create.isPending}>Create Webhook</Button>
          </Flex>
        </Flex>
      }
    >
      <ErrorAlert error={create.error} title="Unable to create webhook." style={{ marginBottom: 16 }} />
      <Form<WebhookFormValues>
        form={form} name="newWebhook"
        layout="vertical"
        preserve={false}
        initialValues={{ webhookType: 'WEBHOOK_TYPE_DEFAULT', mode: 'WEBHOOK_MODE_WORKSPACE', triggerEvents: [] }}
        onFieldsChange={() => setHasErrors(form.getFieldsError().some((f) => f.errors.length > 0))}
        onValuesChange={(changed: Partial<WebhookFormValues>) => {
          if (changed.triggerEvents?.includes('CUSTOM')) form.setFieldValue('mode', 'WEBHOOK_MODE_SPECIFIC');
        }}
        onFinish={(v) => create.mutate(v)}
      >
        <Form.Item label="Workspace" name="workspaceId" extra="Empty: a global webhook, for every workspace.">
          <Select allowClear placeholder="Workspace" loading={workspaces.isLoading}
            options={(workspaces.data?.workspaces ?? []).map((w) => ({ value: w.id, label: w.name }))} />
        </Form.Item>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: 'Name is required.' }]}>
          <Input autoFocus maxLength={255} />
        </Form.Item>
        <Form.Item label="URL" name="url" rules={[
          { required: true, message: 'URL is required.' },
          { type: 'url', whitespace: true, message: 'URL must be valid.' },
        ]}>
          <Input placeholder="https://" />
        </Form.Item>
        <Form.Item label="Type" name="webhookType" rules={[{ required: true, message: 'Webhook type is required ' }]}>
          <Select options={TYPE_OPTIONS} />
        </Form.Item>
        <Form.Item label="Trigger" name="triggerEvents" rules={[{ required: true, type: 'array', min: 1, message: 'At least one trigger event is required' }]}>
          <Select mode="multiple" placeholder="Select trigger event" options={TRIGGER_OPTIONS.map((t) => ({ value: t, label: t }))} />
        </Form.Item>
        {triggerEvents.includes('TASKLOG') && (
          <Form.Item label="Regex" name="regex" rules={[{ required: true, message: 'Regex is required when triggering on task log' }]}>
            <Input placeholder="e.g. CUDA out of memory" />
          </Form.Item>
        )}
        <Form.Item label="Trigger by" name="mode" rules={[{ required: true, message: 'Webhook mode is required' }]}
          extra={custom ? 'CUSTOM triggers fire only for experiments whose configuration names this webhook.' : undefined}>
          <Select options={MODE_OPTIONS} disabled={custom} />
        </Form.Item>
        {/* Enter in a field submits, as in any form. */}
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
