import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function ExperimentsPage() {
  return (
    <Page title="Experiments">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
