/** Determined's "Edit Webhook" modal: the name (read-only) and the URL. */
import { App, Form, Input, Modal } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook } from '../../types';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';

export function WebhookEditModal({ webhook, onClose }: { webhook: Webhook | null; onClose: () => void }) {
  const [form] = Form.useForm<{ url: string }>();
  const { notification, message } = App.useApp();
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: (v: { url: string }) => api.patchWebhook(webhook!.id, { url: v.url.trim() }),
    onSuccess: async () => {
      void message.success('Webhook saved.');
      await qc.invalidateQueries({ queryKey: ['webhooks'] });
      await qc.invalidateQueries({ queryKey: ['webhook', webhook!.id] });
      onClose();
    },
    onError: (e) => notification.error({ message: 'Unable to edit webhook.', description: errorText(e) }),
  });
  const close = () => {
    save.reset();
    onClose();
  };
  return (
    <Modal open={webhook !== null} title="Edit Webhook" okText="Save Changes" onOk={() => form.submit()} onCancel={close}
      confirmLoading={save.isPending} destroyOnHidden>
      <ErrorAlert error={save.error} title="Unable to edit webhook." style={{ marginBottom: 16 }} />
      {webhook && (
        <Form form={form} name="editWebhook" layout="vertical" preserve={false} initialValues={{ name: webhook.name, url: webhook.url }}
          onFinish={(v) => save.mutate(v)}>
          <Form.Item label="Name" name="name"><Input disabled /></Form.Item>
          <Form.Item label="URL" name="url" rules={[
            { required: true, message: 'URL is required.' },
            { type: 'url', whitespace: true, message: 'URL must be valid.' },
          ]}>
            <Input autoFocus />
          </Form.Item>
          <button type="submit" hidden />
        </Form>
      )}
    </Modal>
  );
}
