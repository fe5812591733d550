/** The frame of every page: an optional breadcrumb, a title (also the document title), a subtitle and header buttons. */
import { useEffect, type ReactNode } from 'react';
import { Flex, Typography } from 'antd';

export function Page({ title, subtitle, breadcrumb, extra, children }: {
  title: ReactNode; subtitle?: ReactNode; breadcrumb?: ReactNode; extra?: ReactNode; children: ReactNode;
}) {
  useEffect(() => {
    if (typeof title === 'string') document.title = `${title} · Switchyard`;
  }, [title]);
  return (
    <div>
      {breadcrumb ? <div style={{ marginBottom: 8 }}>{breadcrumb}</div> : null}
      <Flex justify="space-between" align="center" gap={16} wrap="wrap" style={{ marginBottom: 16 }}>
        <div>
          <Typography.Title level={3} style={{ margin: 0 }}>{title}</Typography.Title>
          {subtitle ? <Typography.Text type="secondary">{subtitle}</Typography.Text> : null}
        </div>
        {extra ? <Flex gap={8} wrap="wrap">{extra}</Flex> : null}
      </Flex>
      {children}
    </div>
  );
}
