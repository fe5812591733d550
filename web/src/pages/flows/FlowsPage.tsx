/** Placeholder: the Flows page is built in its own change (issue 5, part 2). */
import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function FlowsPage() {
  return (
    <Page title="Flows" subtitle="Catch hooks and the steps that run on each request.">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
