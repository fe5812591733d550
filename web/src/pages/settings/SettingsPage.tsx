/** Settings: secrets, API tokens, the signing key, SMTP and alert channels, one tab each (the tab is in the URL). */
import { useSearchParams } from 'react-router-dom';
import { Tabs } from 'antd';
import { Page } from '../../components/Page';
import { SecretsTab } from './SecretsTab';
import { SigningKeyTab, TokensTab } from './TokensTab';
import { SmtpTab } from './SmtpTab';
import { ChannelsTab } from './ChannelsTab';

export function SettingsPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'secrets';
  return (
    <Page title="Settings" subtitle="Secrets, API tokens, the signing key, email and alert channels.">
      <Tabs activeKey={tab} onChange={(k) => setParams({ tab: k }, { replace: true })} destroyOnHidden items={[
        { key: 'secrets', label: 'Secrets', children: <SecretsTab /> },
        { key: 'tokens', label: 'API tokens', children: <TokensTab /> },
        { key: 'signing', label: 'Signing key', children: <SigningKeyTab /> },
        { key: 'smtp', label: 'SMTP', children: <SmtpTab /> },
        { key: 'channels', label: 'Alert channels', children: <ChannelsTab /> },
      ]} />
    </Page>
  );
}
