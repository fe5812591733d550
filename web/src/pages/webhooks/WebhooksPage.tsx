import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function WebhooksPage() {
  return (
    <Page title="Webhooks">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
