/** One flow (the Zap editor): Steps, Test Trigger, Runs and Hook settings tabs, with the catch URL and on/off at the top. */
import { useEffect, useMemo, useState } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Space, Spin, Switch, Tabs, Typography } from 'antd';
import { DownloadOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { flowProblems, rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import { Page } from '../../components/Page';
import type { Flow, Step } from '../../types-receiver';
import { captureTemplateView, EditorCtx, flattenFields } from './fields';
import { allStepIds, StepList } from './StepsEditor';
import { TestTriggerTab } from './TestTriggerTab';
import { RunsTable } from './RunsTable';
import { HookSettingsTab } from './HookSettingsTab';
import { downloadFlow } from './FlowsPage';
import { Form } from 'antd';

function StepsTab({ flow }: { flow: Flow }) {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [steps, setSteps] = useState<Step[]>(() => flow.definition.steps);
  const [outputs, setOutputs] = useState<Record<string, unknown>>({});
  const dirty = JSON.stringify(steps) !== JSON.stringify(flow.definition.steps);

  const secrets = useQuery({ queryKey: ['secrets'], queryFn: rapi.listSecrets });
  // The sample (else the newest capture) and the last run's outputs feed the field picker.
  const captures = useQuery({ queryKey: ['captures', flow.id], queryFn: () => rapi.listCaptures(flow.id) });
  const sample = captures.data?.captures.find((c) => c.id === flow.sampleCaptureId) ?? captures.data?.captures[0];
  const lastRuns = useQuery({ queryKey: ['runs', { flowId: flow.id, limit: 1 }], queryFn: () => rapi.listRuns({ flowId: flow.id, limit: 1 }) });
  const lastRunId = lastRuns.data?.runs[0]?.id;
  const lastRun = useQuery({ queryKey: ['run', lastRunId], queryFn: () => rapi.getRun(lastRunId!), enabled: lastRunId !== undefined });

  const known = useMemo(() => {
    const o: Record<string, unknown> = {};
    for (const s of lastRun.data?.run.steps ?? []) if (s.status === 'succeeded' && s.output !== null) o[s.stepId] = s.output;
    return { ...o, ...outputs };
  }, [lastRun.data, outputs]);
  const fields = useMemo(() => {
    const f = sample ? flattenFields('capture', captureTemplateView(sample)) : [];
    for (const [id, out] of Object.entries(known)) flattenFields(`steps.${id}`, out, f);
    return f;
  }, [sample, known]);

  const save = useMutation({
    mutationFn: () => rapi.putFlow(flow.id, { ...flow.definition, steps }),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', flow.id], { flow: f }); void message.success('Flow saved.'); },
  });
  const problems = flowProblems(save.error);
  const env = { flowId: flow.id, allIds: allStepIds(steps), outputs: known, setOutput: (id: string, out: unknown) => setOutputs((o) => ({ ...o, [id]: out })) };

  return (
    <EditorCtx.Provider value={{ problems, fields, secretNames: (secrets.data?.secrets ?? []).map((s) => s.name) }}>
      <Form layout="vertical" component={false}>
        <div style={{ maxWidth: 980 }}>
          {!sample && !captures.isLoading && (
            <Alert type="info" showIcon style={{ marginBottom: 12 }}
              message="No sample yet: send a request to the catch URL (Test Trigger) so that steps can pick its fields and be tested." />
          )}
          <ErrorAlert error={secrets.error ?? captures.error} style={{ marginBottom: 12 }} />
          <Typography.Paragraph type="secondary">
            Trigger: <b>Catch Raw Hook</b> — every request to the catch URL runs these steps in order.
          </Typography.Paragraph>
            {problems.length > 0 && (
              <Alert type="error" showIcon style={{ marginBottom: 12 }} role="alert" message={`Not saved: ${problems.length} problem${problems.length > 1 ? 's' : ''} (marked at the fields)`}
                description={<ul style={{ margin: 0 }}>{problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}</li>)}</ul>} />
            )}
          <StepList steps={steps} path="steps" env={env} onChange={setSteps} />
          <div style={{ position: 'sticky', bottom: 0, background: '#fff', padding: '12px 0', marginTop: 16, borderTop: '1px solid #f0f0f0', zIndex: 2 }}>
            {problems.length === 0 && <ErrorAlert error={save.error} style={{ marginBottom: 12 }} />}
            <Space>
              <Button type="primary" icon={<SaveOutlined />} loading={save.isPending} disabled={!dirty} onClick={() => save.mutate()}>Save steps</Button>
              <Button icon={<UndoOutlined />} disabled={!dirty} onClick={() => { setSteps(flow.definition.steps); save.reset(); }}>Discard changes</Button>
              {problems.length > 0 ? <Typography.Text type="danger">Not saved: see the problems above</Typography.Text> : dirty ? <Typography.Text type="warning">Unsaved changes</Typography.Text> : <Typography.Text type="secondary">Saved</Typography.Text>}
            </Space>
          </div>
        </div>
      </Form>
    </EditorCtx.Provider>
  );
}

export function FlowDetailPage() {
  const id = Number(useParams().id);
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'steps';
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['flow', id], queryFn: () => rapi.getFlow(id), enabled: Number.isInteger(id) && id > 0 });
  const flow = q.data?.flow;
  const toggle = useMutation({
    mutationFn: (on: boolean) => rapi.setFlowEnabled(id, on),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', id], { flow: f }); void qc.invalidateQueries({ queryKey: ['flows'] }); },
  });
  const [exportError, setExportError] = useState<unknown>(null);
  useEffect(() => { setExportError(null); }, [id]);
  if (!flow) {
    return (
      <Page title="Flow">
        {q.isLoading ? <Spin /> : <ErrorAlert error={q.error ?? new Error('This address does not name a flow.')} />}
      </Page>
    );
  }
  return (
    <Page title={flow.name} subtitle={flow.description || undefined}
      extra={<>
        <Space>
          <Switch checked={flow.enabled} loading={toggle.isPending} onChange={(on) => toggle.mutate(on)} aria-label="Flow on" />
          <span>{flow.enabled ? 'On' : 'Off'}</span>
        </Space>
        <CopyButton text={flow.catchUrl} what="Catch URL" label="Copy catch URL" />
        <Button icon={<DownloadOutlined />} onClick={() => downloadFlow(flow).catch(setExportError)}>Export</Button>
      </>}>
      <ErrorAlert error={toggle.error ?? exportError} style={{ marginBottom: 12 }} />
      <Typography.Paragraph>
        Catch URL: <Typography.Text code data-testid="catch-url">{flow.catchUrl}</Typography.Text>
      </Typography.Paragraph>
      <Tabs activeKey={tab} onChange={(k) => setParams({ tab: k }, { replace: true })} destroyOnHidden items={[
        { key: 'steps', label: 'Steps', children: <StepsTab key={flow.id} flow={flow} /> },
        { key: 'trigger', label: 'Test Trigger', children: <TestTriggerTab flow={flow} /> },
        { key: 'runs', label: 'Runs', children: <RunsTable flowId={flow.id} /> },
        { key: 'settings', label: 'Hook settings', children: <HookSettingsTab key={flow.updatedAt} flow={flow} /> },
      ]} />
    </Page>
  );
}
