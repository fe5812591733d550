/**
 * A webhook's signing: Determined's X-Determined-AI-Signature (always on) and, optionally, Standard Webhooks
 * (webhook-id / webhook-timestamp / webhook-signature) with a whsec_ secret that can be shown and rotated.
 */
import { useState } from 'react';
import { App, Alert, Button, Card, Descriptions, Flex, InputNumber, Popconfirm, Space, Switch, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook, WebhookSecret } from '../../types';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import { Time } from '../../components/Time';

export function SigningCard({ webhook }: { webhook: Webhook }) {
  const { message, notification } = App.useApp();
  const qc = useQueryClient();
  const [secret, setSecret] = useState<WebhookSecret | null>(null);
  const [overlapHours, setOverlapHours] = useState<number>(24);
  const standard = webhook.signatureSchemes.includes('standard');
  const refresh = () => qc.invalidateQueries({ queryKey: ['webhook', webhook.id] });

  const toggle = useMutation({
    mutationFn: (on: boolean) => api.patchWebhook(webhook.id, { signatureSchemes: on ? ['determined', 'standard'] : ['determined'] }),
    onSuccess: async (_r, on) => {
      setSecret(null);
      void message.success(on ? 'Standard Webhooks signing is on.' : 'Standard Webhooks signing is off.');
      await refresh();
    },
    onError: (e) => notification.error({ message: 'Unable to change signing.', description: errorText(e) }),
  });
  const show = useMutation({ mutationFn: () => api.webhookSecret(webhook.id), onSuccess: setSecret });
  const rotate = useMutation({
    mutationFn: () => api.rotateWebhookSecret(webhook.id, Math.round(overlapHours * 3600)),
    onSuccess: async (s) => {
      setSecret(s);
      void message.success('Secret rotated.');
      await refresh();
    },
    onError: (e) => notification.error({ message: 'Unable to rotate the secret.', description: errorText(e) }),
  });

  return (
    <Card title="Signing" size="small">
      <Flex vertical gap={12}>
        <Typography.Text>
          Every delivery of a Default webhook carries <Typography.Text code>X-Determined-AI-Signature</Typography.Text>,
          signed with the server's signing key.
        </Typography.Text>
        <Space>
          <Switch checked={standard} loading={toggle.isPending} onChange={(on) => toggle.mutate(on)} aria-label="Sign with Standard Webhooks" />
          <Typography.Text>Also sign with Standard Webhooks (<Typography.Text code>webhook-signature</Typography.Text>)</Typography.Text>
        </Space>
        {standard && webhook.standardWebhooks && (
          <>
            <Descriptions size="small" column={1} bordered items={[
              {
                key: 'secret', label: 'Secret',
                children: secret ? (
                  <Space wrap>
                    <Typography.Text code style={{ wordBreak: 'break-all' }}>{secret.secret}</Typography.Text>
                    <CopyButton text={secret.secret} what="Secret" />
                    <Button size="small" onClick={() => setSecret(null)}>Hide</Button>
                  </Space>
                ) : (
                  <Space>
                    <Typography.Text code>{webhook.standardWebhooks.secretPreview}</Typography.Text>
                    <Button size="small" onClick={() => show.mutate()} loading={show.isPending}>Show secret</Button>
                  </Space>
                ),
              },
              ...(webhook.standardWebhooks.previousSecretPreview ? [{
                key: 'prev', label: 'Previous secret',
                children: (
                  <Space>
                    <Typography.Text code>{secret?.previousSecret ?? webhook.standardWebhooks.previousSecretPreview}</Typography.Text>
                    <Typography.Text type="secondary">also signs until it expires, <Time value={webhook.standardWebhooks.previousSecretExpiresAt} /></Typography.Text>
                  </Space>
                ),
              }] : []),
            ]} />
            <ErrorAlert error={show.error} title="Unable to show the secret." />
            <Space wrap>
              <Typography.Text>Keep signing with the old secret for</Typography.Text>
              <InputNumber min={0} max={720} value={overlapHours} onChange={(v) => setOverlapHours(v ?? 0)} addonAfter="hours"
                style={{ width: 150 }} aria-label="Overlap in hours" />
              <Popconfirm title="Rotate the secret?" description="Receivers need the new secret once the overlap ends."
                okText="Rotate" onConfirm={() => rotate.mutate()}>
                <Button loading={rotate.isPending}>Rotate secret</Button>
              </Popconfirm>
            </Space>
            {secret && <Alert type="warning" showIcon message="Secrets are shown only here: copy the secret into your receiver, then hide it." />}
          </>
        )}
      </Flex>
    </Card>
  );
}
