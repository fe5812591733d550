import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function WebhookDetailPage() {
  return (
    <Page title="Webhook">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
