/** One run: its status and every step's input, output, status, attempts, duration and error; replay from the start or a step. */
import { Link, useNavigate, useParams } from 'react-router-dom';
import { App, Button, Card, Col, Descriptions, Dropdown, Empty, Row, Space, Spin, Typography } from 'antd';
import { RedoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Page } from '../../components/Page';
import { StatusTag } from '../../components/StatusTag';
import { Duration, Time } from '../../components/Time';
import { live } from '../../live';
import { JsonBlock } from '../flows/fields';

const FINAL = ['succeeded', 'failed', 'stopped'];

export function RunPage() {
  const id = Number(useParams().id);
  const nav = useNavigate();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const q = useQuery({
    queryKey: ['run', id], queryFn: () => rapi.getRun(id), enabled: Number.isInteger(id) && id > 0,
    ...live(), refetchInterval: (query) => (query.state.data && FINAL.includes(query.state.data.run.status) ? false : 2000),
  });
  const run = q.data?.run;
  const flow = useQuery({ queryKey: ['flow', run?.flowId], queryFn: () => rapi.getFlow(run!.flowId), enabled: run !== undefined });
  const replay = useMutation({
    mutationFn: (fromStep?: string) => rapi.replayRun(id, fromStep),
    onSuccess: ({ run: r }) => { void qc.invalidateQueries({ queryKey: ['runs'] }); void message.success(`Replay started: run #${r.id}.`); nav(`/runs/${r.id}`); },
  });
  if (!run) return <Page title={`Run #${Number.isNaN(id) ? '?' : id}`}>{q.isLoading ? <Spin /> : <ErrorAlert error={q.error ?? new Error('This address does not name a run.')} />}</Page>;
  const steps = run.steps ?? [];
  const total = run.startedAt && run.finishedAt ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime() : null;
  return (
    <Page title={`Run #${run.id}`} subtitle={<span>of flow <Link to={`/flows/${run.flowId}?tab=runs`}>{flow.data?.flow.name ?? `#${run.flowId}`}</Link></span>}
      extra={<Space.Compact>
        <Button icon={<RedoOutlined />} loading={replay.isPending} onClick={() => replay.mutate(undefined)}>Replay from start</Button>
        <Dropdown disabled={steps.length === 0} trigger={['click']}
          menu={{ items: steps.map((s) => ({ key: s.stepId, label: `From step ${s.stepId}` })), onClick: ({ key }) => replay.mutate(key) }}>
          <Button>Replay from a step…</Button>
        </Dropdown>
      </Space.Compact>}>
      <ErrorAlert error={replay.error ?? q.error} style={{ marginBottom: 12 }} />
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }} items={[
        { label: 'Status', children: <StatusTag status={run.status} /> },
        { label: 'Origin', children: <span>{run.origin}{run.replayOf ? <> of <Link to={`/runs/${run.replayOf}`}>#{run.replayOf}</Link></> : null}</span> },
        { label: 'Capture', children: <Link to={`/flows/${run.flowId}?tab=trigger`}>#{run.captureId}</Link> },
        { label: 'Created', children: <Time value={run.createdAt} /> },
        { label: 'Finished', children: <Time value={run.finishedAt} /> },
        { label: 'Duration', children: <Duration ms={total} /> },
        ...(run.nextAttemptAt ? [{ label: 'Next attempt', children: <Time value={run.nextAttemptAt} /> }] : []),
        ...(run.error ? [{ label: 'Error', span: 3, children: <Typography.Text type="danger">{run.error}</Typography.Text> }] : []),
      ]} />
      {steps.length === 0 && <Empty description={FINAL.includes(run.status) ? 'No steps ran.' : 'Waiting for the first step…'} />}
      {steps.map((s, i) => (
        <Card key={`${s.stepId}-${i}`} size="small" className="sy-run-step" data-step-id={s.stepId} style={{ marginBottom: 12 }}
          title={<Space wrap><Typography.Text strong>{i + 1}. {s.stepId}</Typography.Text><Typography.Text type="secondary">{s.type}</Typography.Text><StatusTag status={s.status} /></Space>}
          extra={<Space size={12}>
            <span><Duration ms={s.durationMs} /></span>
            {s.attempts > 1 && <span>{s.attempts} attempts</span>}
            <Button size="small" icon={<RedoOutlined />} onClick={() => replay.mutate(s.stepId)} aria-label={`Replay from ${s.stepId}`}>Replay from here</Button>
          </Space>}>
          {s.error && <Typography.Paragraph type="danger" style={{ marginBottom: 8 }}>{s.error}</Typography.Paragraph>}
          <Row gutter={12}>
            <Col xs={24} lg={12}><Typography.Text type="secondary">Input</Typography.Text><JsonBlock value={s.input} label={`Input of ${s.stepId}`} /></Col>
            <Col xs={24} lg={12}><Typography.Text type="secondary">Output</Typography.Text><JsonBlock value={s.output} label={`Output of ${s.stepId}`} /></Col>
          </Row>
        </Card>
      ))}
    </Page>
  );
}
