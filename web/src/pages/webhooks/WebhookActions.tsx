/** The row's triple-dot menu: Copy Webhook Name, Test Webhook, Edit Webhook, Delete Webhook (spec section 6). */
import { useState } from 'react';
import { App, Button, Dropdown, type MenuProps } from 'antd';
import { MoreOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook } from '../../types';
import { copyText } from '../../components/CopyButton';
import { errorText } from '../../components/ErrorAlert';
import { WebhookEditModal } from './WebhookEditModal';
import { WebhookDeleteModal } from './WebhookDeleteModal';

export function WebhookActions({ webhook, onDeleted }: { webhook: Webhook; onDeleted?: () => void }) {
  const { notification } = App.useApp();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const test = useMutation({
    mutationFn: () => api.testWebhook(webhook.id),
    // Determined shows no toast when the test succeeds.
    onSettled: () => qc.invalidateQueries({ queryKey: ['webhook', webhook.id] }),
    onError: (e) => notification.error({ message: 'Webhook Request Failed', description: errorText(e) }),
  });
  const items: MenuProps['items'] = [
    ...(webhook.name ? [{ key: 'copy', label: 'Copy Webhook Name' }] : []),
    { key: 'test', label: 'Test Webhook' },
    { key: 'edit', label: 'Edit Webhook' },
    { key: 'delete', label: 'Delete Webhook', danger: true },
  ];
  const onClick: MenuProps['onClick'] = async ({ key }) => {
    switch (key) {
      case 'copy':
        if (await copyText(webhook.name)) notification.success({ message: 'Webhook Name Copied', description: 'Webhook name copied to the clipboard.' });
        else notification.error({ message: 'Unable to Copy to Clipboard' });
        break;
      case 'test':
        test.mutate();
        break;
      case 'edit':
        setEditing(true);
        break;
      case 'delete':
        setDeleting(true);
        break;
    }
  };
  return (
    <>
      <Dropdown menu={{ items, onClick }} trigger={['click']} placement="bottomRight">
        <Button type="text" icon={<MoreOutlined />} loading={test.isPending} aria-label={`Actions for webhook ${webhook.name}`} />
      </Dropdown>
      <WebhookEditModal webhook={editing ? webhook : null} onClose={() => setEditing(false)} />
      <WebhookDeleteModal webhook={deleting ? webhook : null} onClose={() => setDeleting(false)} onDeleted={onDeleted} />
    </>
  );
}
