/** A flow's runs, newest first: filter by status, pages by cursor (beforeId), refreshed live. */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Button, Flex, Select, Space, Table, Typography } from 'antd';
import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Duration, Time } from '../../components/Time';
import { live } from '../../live';
import { RUN_STATUSES, type Run } from '../../types-receiver';

const PAGE = 20;

export function RunsTable({ flowId }: { flowId: number }) {
  const [status, setStatus] = useState<string | undefined>(undefined);
  // Cursor pages: the beforeId of each page seen so far (undefined: the newest page).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const beforeId = cursors[cursors.length - 1];
  const q = useQuery({
    queryKey: ['runs', { flowId, status, beforeId, limit: PAGE }],
    queryFn: () => rapi.listRuns({ flowId, status, beforeId, limit: PAGE }),
    ...live(),
  });
  const runs = q.data?.runs ?? [];
  const duration = (r: Run) => (r.startedAt && r.finishedAt ? new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime() : null);
  return (
    <div>
      <Flex justify="space-between" align="center" style={{ marginBottom: 12 }} wrap="wrap" gap={8}>
        <Space>
          <Typography.Text>Status</Typography.Text>
          <Select style={{ width: 160 }} allowClear placeholder="any" value={status} aria-label="Run status filter"
            onChange={(v) => { setStatus(v); setCursors([undefined]); }} options={RUN_STATUSES.map((s) => ({ value: s, label: s }))} />
        </Space>
        <Space>
          <Button icon={<LeftOutlined />} disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</Button>
          <Button disabled={runs.length < PAGE} onClick={() => setCursors([...cursors, runs[runs.length - 1]!.id])}>Older <RightOutlined /></Button>
        </Space>
      </Flex>
      <ErrorAlert error={q.error} style={{ marginBottom: 12 }} />
      <Table<Run> rowKey="id" size="small" loading={q.isLoading} dataSource={runs} pagination={false}
        locale={{ emptyText: status ? `No ${status} runs.` : 'No runs yet: send a request to the catch URL, or run a capture from Test Trigger.' }}
        columns={[
          { title: 'Run', dataIndex: 'id', render: (id: number) => <Link to={`/runs/${id}`}>#{id}</Link> },
          { title: 'Status', dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: 'Origin', dataIndex: 'origin', render: (o: string, r) => <span>{o}{r.replayOf ? <> of <Link to={`/runs/${r.replayOf}`}>#{r.replayOf}</Link></> : null}</span> },
          { title: 'Capture', dataIndex: 'captureId', render: (c: number) => `#${c}` },
          { title: 'Started', dataIndex: 'createdAt', render: (t: string) => <Time value={t} /> },
          { title: 'Duration', key: 'duration', render: (_, r) => <Duration ms={duration(r)} /> },
          { title: 'Error', dataIndex: 'error', ellipsis: true, render: (e: string | null) => e ? <Typography.Text type="danger">{e}</Typography.Text> : null },
        ]} />
    </div>
  );
}
