/** Placeholder: the Alerts page is built in its own change (issue 5, part 2). */
import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function AlertsPage() {
  return (
    <Page title="Alerts" subtitle="Alerts raised by the delivery engine and flows.">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
