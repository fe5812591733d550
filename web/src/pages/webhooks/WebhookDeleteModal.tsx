/** Determined's delete confirmation: "Confirm Delete". */
import { App, Modal, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook } from '../../types';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';

export function WebhookDeleteModal({ webhook, onClose, onDeleted }: { webhook: Webhook | null; onClose: () => void; onDeleted?: () => void }) {
  const { notification, message } = App.useApp();
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: () => api.deleteWebhook(webhook!.id),
    onSuccess: async () => {
      void message.success('Webhook deleted.');
      await qc.invalidateQueries({ queryKey: ['webhooks'] });
      onClose();
      onDeleted?.();
    },
    onError: (e) => notification.error({ message: 'Unable to delete webhook.', description: errorText(e) }),
  });
  const close = () => {
    del.reset();
    onClose();
  };
  return (
    <Modal open={webhook !== null} title="Confirm Delete" okText="Delete Webhook" okButtonProps={{ danger: true }}
      onOk={() => del.mutate()} onCancel={close} confirmLoading={del.isPending} destroyOnHidden>
      <ErrorAlert error={del.error} title="Unable to delete webhook." style={{ marginBottom: 16 }} />
      <Typography.Paragraph>Are you sure you want to delete this webhook?</Typography.Paragraph>
      {webhook && <Typography.Text type="secondary">{webhook.name} · {webhook.url}</Typography.Text>}
    </Modal>
  );
}
