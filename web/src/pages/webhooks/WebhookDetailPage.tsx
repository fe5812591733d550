/** One webhook (/webhooks/:id): its settings, delivery state (pause/resume, re-enable), signing and deliveries. */
import { useMemo } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Breadcrumb, Button, Card, Descriptions, Flex, Spin, Typography } from 'antd';
import { PauseCircleOutlined, PlayCircleOutlined, SendOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import type { Webhook } from '../../types';
import { Page } from '../../components/Page';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Time } from '../../components/Time';
import { CopyButton } from '../../components/CopyButton';
import { live } from '../../live';
import { health, modeLabel, typeLabel } from './webhookModel';
import { TriggerBadges } from './TriggerBadges';
import { WebhookActions } from './WebhookActions';
import { SigningCard } from './SigningCard';
import { DeliveriesTable } from './DeliveriesTable';

export function WebhookDetailPage() {
  const id = Number(useParams().id);
  const nav = useNavigate();
  const { message, notification } = App.useApp();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['webhook', id], queryFn: () => api.getWebhook(id), enabled: Number.isInteger(id) && id > 0, ...live(5000) });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: api.listWorkspaces });
  const wsName = useMemo(() => new Map((workspaces.data?.workspaces ?? []).map((w) => [w.id, w.name])), [workspaces.data]);

  const setState = useMutation({
    mutationFn: (what: 'pause' | 'resume' | 'enable') =>
      what === 'pause' ? api.pauseWebhook(id) : what === 'resume' ? api.resumeWebhook(id) : api.enableWebhook(id),
    onSuccess: (r, what) => {
      qc.setQueryData(['webhook', id], { webhook: r.webhook });
      void qc.invalidateQueries({ queryKey: ['webhooks'] });
      void message.success(what === 'pause' ? 'Webhook paused: deliveries wait until you resume it.' : what === 'resume' ? 'Webhook resumed.' : 'Webhook re-enabled.');
    },
    onError: (e) => notification.error({ message: 'Unable to change the webhook.', description: errorText(e) }),
  });
  const test = useMutation({
    mutationFn: () => api.testWebhook(id),
    onSuccess: () => void message.success('Test event delivered: the receiver answered 2xx.'),
    onError: (e) => notification.error({ message: 'Webhook Request Failed', description: errorText(e) }),
  });

  if (!Number.isInteger(id) || id <= 0) return <ErrorAlert error={new Error('This address has no webhook id.')} />;
  if (q.isLoading) return <Spin />;
  const w: Webhook | undefined = q.data?.webhook;
  if (!w) return <ErrorAlert error={q.error} title="Unable to load the webhook." />;
  const h = health(w);

  return (
    <Page
      title={w.name}
      breadcrumb={<Breadcrumb items={[{ title: <Link to="/det/webhooks">Webhooks</Link> }, { title: w.name }]} />}
      extra={
        <>
          <Button icon={<SendOutlined />} onClick={() => test.mutate()} loading={test.isPending}>Test Webhook</Button>
          {w.paused
            ? <Button icon={<PlayCircleOutlined />} onClick={() => setState.mutate('resume')}>Resume</Button>
            : <Button icon={<PauseCircleOutlined />} onClick={() => setState.mutate('pause')}>Pause</Button>}
          {w.disabledAt && <Button type="primary" onClick={() => setState.mutate('enable')}>Re-enable</Button>}
          <WebhookActions webhook={w} onDeleted={() => nav('/det/webhooks')} />
        </>
      }
    >
      <Flex vertical gap={16}>
        <ErrorAlert error={q.error} title="Unable to refresh the webhook." />
        {w.disabledAt && (
          <Alert type="error" showIcon message="Disabled by the delivery engine"
            description={<>
              <div>Why: {(w.disabledReason ?? 'every attempt failed for too long').replace(/\.$/, '')}.</div>
              <div>Disabled <Time value={w.disabledAt} />. Its deliveries wait; re-enable it to send them.</div>
            </>} />
        )}
        {w.paused && <Alert type="warning" showIcon message="Paused" description="No attempt is made while the webhook is paused; deliveries wait, nothing is dropped." />}
        {!w.disabledAt && w.failingSince && (
          <Alert type="warning" showIcon message={<>Every attempt has failed since <Time value={w.failingSince} /></>} />
        )}
        <Card size="small">
          <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} items={[
            { key: 'status', label: 'Status', children: <StatusTag status={h} /> },
            { key: 'type', label: 'Type', children: typeLabel(w.webhookType) },
            { key: 'mode', label: 'Mode', children: modeLabel(w) },
            {
              key: 'url', label: 'URL', span: 'filled',
              children: <Flex gap={8} align="center"><Typography.Text code style={{ wordBreak: 'break-all' }}>{w.url}</Typography.Text><CopyButton text={w.url} what="URL" /></Flex>,
            },
            { key: 'ws', label: 'Workspace', children: w.workspaceId > 0 ? wsName.get(w.workspaceId) ?? `#${w.workspaceId}` : 'Global' },
            { key: 'triggers', label: 'Triggers', children: <TriggerBadges triggers={w.triggers} /> },
            { key: 'created', label: 'Created', children: <Time value={w.createdAt} /> },
          ]} />
        </Card>
        <SigningCard webhook={w} />
        <Card title="Deliveries" size="small">
          <DeliveriesTable webhookId={w.id} />
        </Card>
      </Flex>
    </Page>
  );
}
