/** Placeholder: the Settings page is built in its own change (issue 5, part 2). */
import { Empty } from 'antd';
import { Page } from '../../components/Page';

export function SettingsPage() {
  return (
    <Page title="Settings" subtitle="Secrets, SMTP, the signing key and API tokens.">
      <Empty description="This page is not built yet." />
    </Page>
  );
}
