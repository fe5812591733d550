/** Placeholder: the Run page is built in its own change (issue 5, part 2). */
import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function RunPage() {
  return (
    <Page title="Run" subtitle="One run of a flow, step by step.">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
