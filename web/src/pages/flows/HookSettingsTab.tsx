/** Hook settings: name and description, on/off, the catch URL (rotate), static response, deduplication, rate limit. */
import { useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Flex, Form, Input, InputNumber, Popconfirm, Space, Switch, Typography } from 'antd';
import { ReloadOutlined, SaveOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { flowProblems, rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { CopyButton } from '../../components/CopyButton';
import type { Flow, FlowDefinition } from '../../types-receiver';
import { EditorCtx, Field, TemplateInput } from './fields';

interface Draft {
  name: string; description: string;
  responseOn: boolean; status: number; headers: string; body: string;
  dedupOn: boolean; dedupKey: string; window: number;
  rateOn: boolean; perSecond: number; burst: number | null;
}

function toDraft(d: FlowDefinition): Draft {
  return {
    name: d.name, description: d.description ?? '',
    responseOn: !!d.response, status: d.response?.status ?? 200,
    headers: Object.entries(d.response?.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n'), body: d.response?.body ?? '',
    dedupOn: !!d.dedup, dedupKey: d.dedup?.key ?? '{{capture.headers.x-request-id}}', window: d.dedup?.windowSeconds ?? 3600,
    rateOn: !!d.rateLimit, perSecond: d.rateLimit?.perSecond ?? 10, burst: d.rateLimit?.burst ?? null,
  };
}

function fromDraft(base: FlowDefinition, x: Draft): FlowDefinition {
  const { response: _r, dedup: _d, rateLimit: _l, description: _desc, ...rest } = base;
  const def: FlowDefinition = { ...rest, name: x.name.trim() };
  if (x.description.trim()) def.description = x.description;
  if (x.responseOn) {
    const headers: Record<string, string> = {};
    for (const line of x.headers.split('\n')) {
      const i = line.indexOf(':');
      if (line.trim() && i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    def.response = { status: x.status, ...(Object.keys(headers).length ? { headers } : {}), ...(x.body ? { body: x.body } : {}) };
  }
  if (x.dedupOn) def.dedup = { key: x.dedupKey, windowSeconds: x.window };
  if (x.rateOn) def.rateLimit = { perSecond: x.perSecond, ...(x.burst ? { burst: x.burst } : {}) };
  return def;
}

export function HookSettingsTab({ flow }: { flow: Flow }) {
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => toDraft(flow.definition));
  const set = (p: Partial<Draft>) => setDraft((d) => ({ ...d, ...p }));
  const save = useMutation({
    mutationFn: () => rapi.putFlow(flow.id, fromDraft(flow.definition, draft)),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', flow.id], { flow: f }); void qc.invalidateQueries({ queryKey: ['flows'] }); void message.success('Hook settings saved.'); },
  });
  const toggle = useMutation({
    mutationFn: (on: boolean) => rapi.setFlowEnabled(flow.id, on),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', flow.id], { flow: f }); void qc.invalidateQueries({ queryKey: ['flows'] }); },
  });
  const rotate = useMutation({
    mutationFn: () => rapi.rotateFlowKey(flow.id),
    onSuccess: ({ flow: f }) => { qc.setQueryData(['flow', flow.id], { flow: f }); void qc.invalidateQueries({ queryKey: ['flows'] }); void message.success('New catch URL: update the senders; the old URL now answers 404.'); },
  });
  const problems = flowProblems(save.error);
  return (
    <EditorCtx.Provider value={{ problems, fields: [], secretNames: [] }}>
      <Form layout="vertical" component={false}>
        <Flex vertical gap={16} style={{ maxWidth: 860 }}>
          <Card size="small" title="Catch hook">
            <Space direction="vertical" style={{ width: '100%' }}>
              <Space wrap>
                <Switch checked={flow.enabled} loading={toggle.isPending} onChange={(on) => toggle.mutate(on)} aria-label="Flow on" />
                <span>{flow.enabled ? 'On: every request caught runs the steps.' : 'Off: requests are still caught (Test Trigger) but do not run.'}</span>
              </Space>
              <Space wrap>
                <Typography.Text code>{flow.catchUrl}</Typography.Text>
                <CopyButton text={flow.catchUrl} what="Catch URL" />
                <Popconfirm title="Rotate the catch URL?" description="The current URL stops working at once (404)." okText="Rotate" onConfirm={() => rotate.mutateAsync().catch(() => undefined)}>
                  <Button icon={<ReloadOutlined />} loading={rotate.isPending}>Rotate key</Button>
                </Popconfirm>
              </Space>
              <ErrorAlert error={toggle.error ?? rotate.error} />
            </Space>
          </Card>
          <Card size="small" title="Flow">
            <Field label="Name" path="name" required><Input value={draft.name} onChange={(e) => set({ name: e.target.value })} aria-label="Flow name" /></Field>
            <Field label="Description" path="description"><Input.TextArea value={draft.description} autoSize onChange={(e) => set({ description: e.target.value })} aria-label="Description" /></Field>
          </Card>
          <Card size="small" title={<Checkbox checked={draft.responseOn} onChange={(e) => set({ responseOn: e.target.checked })}>Static response</Checkbox>}>
            {!draft.responseOn ? <Typography.Text type="secondary">The hook answers 200 with {'{"status": "success", "captureId", …}'}.</Typography.Text> : (
              <>
                <Field label="Status" path="response.status"><InputNumber min={100} max={599} value={draft.status} onChange={(v) => set({ status: v ?? 200 })} aria-label="Response status" /></Field>
                <Field label="Headers (one per line, Name: value)" path="response.headers"><Input.TextArea value={draft.headers} autoSize onChange={(e) => set({ headers: e.target.value })} aria-label="Response headers" /></Field>
                <Field label="Body" path="response.body"><Input.TextArea value={draft.body} autoSize onChange={(e) => set({ body: e.target.value })} aria-label="Response body" /></Field>
              </>
            )}
          </Card>
          <Card size="small" title={<Checkbox checked={draft.dedupOn} onChange={(e) => set({ dedupOn: e.target.checked })}>Deduplication</Checkbox>}>
            {!draft.dedupOn ? <Typography.Text type="secondary">Every request runs, repeats too.</Typography.Text> : (
              <>
                <Field label="Key (a template)" path="dedup.key" help="A request whose key was seen within the window is acknowledged but not run.">
                  <TemplateInput value={draft.dedupKey} onChange={(v) => set({ dedupKey: v })} ariaLabel="Dedup key" />
                </Field>
                <Field label="Window (seconds)" path="dedup.windowSeconds"><InputNumber min={1} max={604800} value={draft.window} onChange={(v) => set({ window: v ?? 3600 })} aria-label="Dedup window" /></Field>
              </>
            )}
          </Card>
          <Card size="small" title={<Checkbox checked={draft.rateOn} onChange={(e) => set({ rateOn: e.target.checked })}>Rate limit</Checkbox>}>
            {!draft.rateOn ? <Typography.Text type="secondary">No limit (beyond the server's).</Typography.Text> : (
              <Flex gap={16}>
                <Field label="Requests per second" path="rateLimit.perSecond"><InputNumber min={0.1} value={draft.perSecond} onChange={(v) => set({ perSecond: v ?? 10 })} aria-label="Requests per second" /></Field>
                <Field label="Burst" path="rateLimit.burst"><InputNumber min={1} value={draft.burst} onChange={(v) => set({ burst: v })} aria-label="Burst" /></Field>
              </Flex>
            )}
          </Card>
          {problems.length === 0 && <ErrorAlert error={save.error} />}
          {problems.length > 0 && <Alert type="error" showIcon message="Not saved: the server found problems" description={<ul style={{ margin: 0 }}>{problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}</li>)}</ul>} />}
          <div><Button type="primary" icon={<SaveOutlined />} loading={save.isPending} onClick={() => save.mutate()}>Save hook settings</Button></div>
        </Flex>
      </Form>
    </EditorCtx.Provider>
  );
}
