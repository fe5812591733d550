import { Space, Tag, Tooltip } from 'antd';
import type { Trigger } from '../../types';
import { StatusTag } from '../../components/StatusTag';
import { triggerBadge } from './webhookModel';

export function TriggerBadges({ triggers }: { triggers: Trigger[] }) {
  return (
    <Space size={[4, 4]} wrap>
      {triggers.map((t, i) => {
        const b = triggerBadge(t);
        const tag = b.state ? <StatusTag status={b.state} /> : <Tag>{b.text}</Tag>;
        return <span key={t.id ?? i}>{b.title ? <Tooltip title={b.title}>{tag}</Tooltip> : tag}</span>;
      })}
    </Space>
  );
}
