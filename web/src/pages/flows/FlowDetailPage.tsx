/** Placeholder: the Flow page is built in its own change (issue 5, part 2). */
import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function FlowDetailPage() {
  return (
    <Page title="Flow" subtitle="One flow: Test Trigger, steps and runs.">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
