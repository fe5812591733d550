/**
 * The Steps tab: a step list editor for every step type (verify_signature, filter, paths with nested lists, code,
 * send_email, post_slack, http_request, alert; any other type as JSON), with a "Test step" button per step.
 */
import { useState, type ReactNode } from 'react';
import { Alert, Button, Card, Checkbox, Dropdown, Empty, Flex, Input, InputNumber, Radio, Select, Space, Tag, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, ExperimentOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { isMissingRoute, rapi } from '../../api-receiver';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusTag } from '../../components/StatusTag';
import { Duration } from '../../components/Time';
import type { ActionStep, Condition, FilterStep, PathBranch, PathsStep, Rule, Step, TestStepResult } from '../../types-receiver';
import { CodeEditor, Field, JsonBlock, problemsAt, TemplateInput, useEditor } from './fields';

export const STEP_TYPES: { type: string; label: string; prefix: string }[] = [
  { type: 'verify_signature', label: 'Verify signature', prefix: 'verify' },
  { type: 'filter', label: 'Filter', prefix: 'filter' },
  { type: 'paths', label: 'Paths', prefix: 'route' },
  { type: 'code', label: 'Code (JavaScript / Python)', prefix: 'code' },
  { type: 'send_email', label: 'Send email', prefix: 'email' },
  { type: 'post_slack', label: 'Post to Slack', prefix: 'slack' },
  { type: 'http_request', label: 'HTTP request', prefix: 'http' },
  { type: 'alert', label: 'Raise alert', prefix: 'alert' },
];
const typeLabel = (t: string) => STEP_TYPES.find((s) => s.type === t)?.label ?? t;
const OPS = ['equals', 'not_equals', 'contains', 'not_contains', 'exists', 'not_exists', 'matches', 'gt', 'gte', 'lt', 'lte', 'starts_with', 'ends_with'];
const OP_LABELS: Record<string, string> = { gt: '> (number)', gte: '≥ (number)', lt: '< (number)', lte: '≤ (number)' };

export function allStepIds(steps: Step[]): string[] {
  return steps.flatMap((s) => [s.id, ...(s.type === 'paths' ? (s as PathsStep).paths.flatMap((p) => allStepIds(p.steps)) : [])]);
}

export function newStep(type: string, taken: string[]): Step {
  const prefix = STEP_TYPES.find((s) => s.type === type)?.prefix ?? 'step';
  let id = prefix;
  for (let n = 2; taken.includes(id); n++) id = `${prefix}${n}`;
  switch (type) {
    case 'filter': return { id, type: 'filter', when: { left: '', op: 'equals', right: '' } };
    case 'paths': return { id, type: 'paths', paths: [{ name: 'path A', when: { left: '', op: 'equals', right: '' }, steps: [] }, { name: 'otherwise', fallback: true, steps: [] }] };
    case 'verify_signature': return { id, type, config: { preset: 'determined', keys: [] } };
    case 'code': return { id, type, config: { language: 'javascript', code: 'return { ok: true, length: inputData.body.length };', inputData: { body: '{{capture.body}}' } } };
    case 'send_email': return { id, type, config: { to: '', subject: '', text: '' } };
    case 'post_slack': return { id, type, config: { webhookUrl: { secret: '' }, text: '' } };
    case 'http_request': return { id, type, config: { method: 'POST', url: '', body: '{{capture.body}}' } };
    case 'alert': return { id, type, config: { name: '', severity: 'error', message: '' } };
    default: return { id, type, config: {} };
  }
}

/** Where a step's test runs and what it knows: the flow, all ids, and the outputs of tests and the last run. */
export interface StepEnv {
  flowId: number;
  allIds: string[];
  outputs: Record<string, unknown>;
  setOutput: (stepId: string, output: unknown) => void;
}

// ---------- conditions ----------

function RuleEditor({ rule, onChange, path, onRemove }: { rule: Rule; onChange: (r: Rule) => void; path: string; onRemove?: () => void }) {
  const unary = rule.op === 'exists' || rule.op === 'not_exists';
  return (
    <Flex gap={8} wrap="wrap" align="flex-start">
      <div style={{ flex: '2 1 240px' }}>
        <Field label="Field" path={`${path}.left`}>
          <TemplateInput bare value={rule.left} onChange={(left) => onChange({ ...rule, left })} placeholder="steps.verify.result" ariaLabel="Condition field" />
        </Field>
      </div>
      <div style={{ flex: '0 1 170px' }}>
        <Field label="Operator" path={`${path}.op`}>
          <Select value={rule.op} onChange={(op) => onChange(op === 'exists' || op === 'not_exists' ? { left: rule.left, op, ...(rule.ignoreCase ? { ignoreCase: true } : {}) } : { ...rule, op, right: rule.right ?? '' })}
            options={OPS.map((o) => ({ value: o, label: OP_LABELS[o] ?? o.replace('_', ' ') }))} aria-label="Operator" />
        </Field>
      </div>
      {!unary && (
        <div style={{ flex: '2 1 200px' }}>
          <Field label="Value" path={`${path}.right`}>
            <TemplateInput value={rule.right === undefined ? '' : typeof rule.right === 'string' ? rule.right : JSON.stringify(rule.right)}
              onChange={(right) => onChange({ ...rule, right })} placeholder="PASS" ariaLabel="Condition value" />
          </Field>
        </div>
      )}
      <div style={{ paddingTop: 30 }}>
        <Checkbox checked={rule.ignoreCase === true} onChange={(e) => onChange(e.target.checked ? { ...rule, ignoreCase: true } : (({ ignoreCase: _, ...r }) => r)(rule))}>Ignore case</Checkbox>
        {onRemove && <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label="Remove condition" />}
      </div>
    </Flex>
  );
}

export function ConditionEditor({ value, onChange, path }: { value: Condition | undefined; onChange: (c: Condition) => void; path: string }) {
  const mode: 'all' | 'any' = value && 'any' in value ? 'any' : 'all';
  const rules: Rule[] = !value ? [{ left: '', op: 'equals', right: '' }] : 'all' in value ? value.all : 'any' in value ? value.any : [value];
  const grouped = value !== undefined && ('all' in value || 'any' in value);
  const emit = (rs: Rule[], m = mode) => onChange(rs.length === 1 ? rs[0]! : m === 'any' ? { any: rs } : { all: rs });
  return (
    <div>
      {rules.length > 1 && (
        <Radio.Group size="small" value={mode} onChange={(e) => emit(rules, e.target.value)} style={{ marginBottom: 8 }}
          options={[{ value: 'all', label: 'All must hold' }, { value: 'any', label: 'Any may hold' }]} optionType="button" />
      )}
      {rules.map((r, i) => (
        <RuleEditor key={i} rule={r} path={grouped ? `${path}.${mode}[${i}]` : path}
          onChange={(nr) => emit(rules.map((x, j) => (j === i ? nr : x)))}
          onRemove={rules.length > 1 ? () => emit(rules.filter((_, j) => j !== i)) : undefined} />
      ))}
      <Button size="small" icon={<PlusOutlined />} onClick={() => emit([...rules, { left: '', op: 'equals', right: '' }])}>Add condition</Button>
    </div>
  );
}

// ---------- config editors ----------

type Cfg = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : JSON.stringify(v));
/** Sets a config key; an empty string removes it (optional fields stay absent). */
const setKey = (cfg: Cfg, key: string, v: unknown): Cfg => {
  const next = { ...cfg };
  if (v === '' || v === undefined || v === null) delete next[key]; else next[key] = v;
  return next;
};

function SecretSelect({ value, onChange, multiple, ariaLabel }: { value: string[]; onChange: (names: string[]) => void; multiple?: boolean; ariaLabel: string }) {
  const { secretNames } = useEditor();
  return (
    <Select mode={multiple ? 'multiple' : undefined} value={multiple ? value : value[0]} aria-label={ariaLabel} allowClear
      placeholder="Choose a secret (Settings → Secrets)" options={secretNames.map((n) => ({ value: n, label: n }))}
      onChange={(v: string | string[] | undefined) => onChange(v === undefined ? [] : Array.isArray(v) ? v : [v])}
      notFoundContent="No secrets yet: add one under Settings → Secrets." />
  );
}

function VerifyConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const keys = Array.isArray(cfg.keys) ? (cfg.keys as unknown[]) : [];
  const secretKeys = keys.flatMap((k) => (k && typeof k === 'object' && 'secret' in k ? [String((k as { secret: string }).secret)] : []));
  const literal = keys.filter((k) => typeof k === 'string').length;
  const preset = String(cfg.preset ?? 'determined');
  const setPreset = (p: string) => {
    const base: Cfg = { preset: p, keys: cfg.keys ?? [] };
    if (cfg.toleranceSeconds !== undefined) base.toleranceSeconds = cfg.toleranceSeconds;
    set(p === 'hmac' ? { ...base, algorithm: 'sha256', encoding: 'hex', signatureHeader: 'X-Signature' } : base);
  };
  return (
    <>
      <Field label="Preset" path={`${path}.preset`}>
        <Radio.Group value={preset} onChange={(e) => setPreset(e.target.value)} optionType="button" options={[
          { value: 'determined', label: 'Determined' }, { value: 'standard-webhooks', label: 'Standard Webhooks' }, { value: 'hmac', label: 'Generic HMAC' },
        ]} />
      </Field>
      <Typography.Paragraph type="secondary" style={{ marginTop: -4 }}>
        {preset === 'determined' && 'HMAC-SHA256 of "<X-Determined-AI-Signature-Timestamp>,<raw body>" with the signing key, in X-Determined-AI-Signature.'}
        {preset === 'standard-webhooks' && 'webhook-id, webhook-timestamp and webhook-signature headers; the key is a whsec_… secret.'}
        {preset === 'hmac' && 'Any HMAC scheme: choose the algorithm, the header and what is signed.'}
      </Typography.Paragraph>
      <Field label="Keys (secrets; more than one during a rotation)" path={`${path}.keys`} required>
        <SecretSelect multiple value={secretKeys} ariaLabel="Signing key secrets"
          onChange={(names) => set({ ...cfg, keys: [...keys.filter((k) => typeof k === 'string'), ...names.map((secret) => ({ secret }))] })} />
      </Field>
      {literal > 0 && <Alert type="warning" showIcon style={{ marginBottom: 12 }} message={`${literal} key(s) are written in the flow itself; store them as secrets instead.`} />}
      {preset === 'hmac' && (
        <Flex gap={12} wrap="wrap">
          <Field label="Algorithm" path={`${path}.algorithm`}>
            <Select style={{ width: 120 }} value={cfg.algorithm as string} onChange={(v) => set({ ...cfg, algorithm: v })} aria-label="Algorithm"
              options={['sha1', 'sha256', 'sha512'].map((v) => ({ value: v, label: v }))} />
          </Field>
          <Field label="Encoding" path={`${path}.encoding`}>
            <Select style={{ width: 120 }} value={cfg.encoding as string} onChange={(v) => set({ ...cfg, encoding: v })} aria-label="Encoding"
              options={['hex', 'base64'].map((v) => ({ value: v, label: v }))} />
          </Field>
          <Field label="Signature header" path={`${path}.signatureHeader`}>
            <Input value={str(cfg.signatureHeader)} onChange={(e) => set(setKey(cfg, 'signatureHeader', e.target.value))} placeholder="X-Hub-Signature-256" aria-label="Signature header" />
          </Field>
          <Field label="Prefix" path={`${path}.prefix`}>
            <Input value={str(cfg.prefix)} onChange={(e) => set(setKey(cfg, 'prefix', e.target.value))} placeholder="sha256=" aria-label="Prefix" />
          </Field>
          <Field label="Signed content" path={`${path}.signedContent`} help="{body}, {timestamp}, {id}">
            <Input value={str(cfg.signedContent)} onChange={(e) => set(setKey(cfg, 'signedContent', e.target.value))} placeholder="{timestamp}.{body}" aria-label="Signed content" />
          </Field>
          <Field label="Timestamp header" path={`${path}.timestampHeader`}>
            <Input value={str(cfg.timestampHeader)} onChange={(e) => set(setKey(cfg, 'timestampHeader', e.target.value))} aria-label="Timestamp header" />
          </Field>
          <Field label="Id header" path={`${path}.idHeader`}>
            <Input value={str(cfg.idHeader)} onChange={(e) => set(setKey(cfg, 'idHeader', e.target.value))} aria-label="Id header" />
          </Field>
        </Flex>
      )}
      <Field label="Tolerance (seconds)" path={`${path}.toleranceSeconds`} help="How old a timestamp may be; default 300.">
        <InputNumber min={0} value={cfg.toleranceSeconds as number | undefined} onChange={(v) => set(setKey(cfg, 'toleranceSeconds', v))} aria-label="Tolerance" />
      </Field>
    </>
  );
}

const isSecretRef = (v: unknown): v is { secret: string } => v !== null && typeof v === 'object' && !Array.isArray(v) && 'secret' in (v as object);

/**
 * Name → value rows. With `secrets` (a code step's input data), each value is either a template or a stored secret
 * (`{"secret": "NAME"}`, resolved at run time), chosen per row, so a reference survives an edit of the step.
 */
function KeyValues({ value, onChange, path, keyLabel, template, secrets }: { value: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void; path: string; keyLabel: string; template?: boolean; secrets?: boolean }) {
  const rows = Object.entries(value);
  const rename = (i: number, k: string) => onChange(Object.fromEntries(rows.map(([a, b], j) => (j === i ? [k, b] : [a, b]))));
  const setVal = (i: number, v: unknown) => onChange(Object.fromEntries(rows.map(([a, b], j) => (j === i ? [a, v] : [a, b]))));
  const input = (k: string, v: unknown, i: number) => template ? <TemplateInput value={str(v)} onChange={(nv) => setVal(i, nv)} ariaLabel={`Value of ${k}`} />
    : <Input value={str(v)} onChange={(e) => setVal(i, e.target.value)} aria-label={`Value of ${k}`} />;
  return (
    <div>
      {rows.map(([k, v], i) => (
        <Flex key={i} gap={8} align="flex-start">
          <div style={{ flex: '0 0 200px' }}>
            <Field label={i === 0 ? keyLabel : undefined} path={`${path}.${k}`}>
              <Input value={k} onChange={(e) => rename(i, e.target.value)} aria-label={`${keyLabel} ${i + 1}`} />
            </Field>
          </div>
          <div style={{ flex: 1 }}>
            <Field label={i === 0 ? 'Value' : undefined} path={`${path}.${k}.value`}>
              {secrets ? (
                <Space.Compact style={{ width: '100%' }}>
                  <Select style={{ width: 120 }} value={isSecretRef(v) ? 'secret' : 'text'} aria-label={`Source of ${k}`}
                    onChange={(m) => setVal(i, m === 'secret' ? { secret: '' } : '')}
                    options={[{ value: 'text', label: template ? 'Template' : 'Text' }, { value: 'secret', label: 'Secret' }]} />
                  <div style={{ flex: 1 }}>
                    {isSecretRef(v)
                      ? <SecretSelect value={[v.secret].filter(Boolean)} onChange={(n) => setVal(i, { secret: n[0] ?? '' })} ariaLabel={`Secret for ${k}`} />
                      : input(k, v, i)}
                  </div>
                </Space.Compact>
              ) : input(k, v, i)}
            </Field>
          </div>
          <Button type="text" danger icon={<DeleteOutlined />} style={{ marginTop: i === 0 ? 30 : 0 }} aria-label={`Remove ${k}`}
            onClick={() => onChange(Object.fromEntries(rows.filter((_, j) => j !== i)))} />
        </Flex>
      ))}
      <Button size="small" icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => {
        let n = rows.length + 1; while (`field${n}` in value) n++;
        onChange({ ...value, [`field${n}`]: '' });
      }}>Add {keyLabel.toLowerCase()}</Button>
    </div>
  );
}

function CodeConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const lang = String(cfg.language ?? 'javascript');
  return (
    <>
      <Field label="Language" path={`${path}.language`}>
        <Radio.Group value={lang} optionType="button" onChange={(e) => set({ ...cfg, language: e.target.value })}
          options={[{ value: 'javascript', label: 'JavaScript' }, { value: 'python', label: 'Python' }]} />
      </Field>
      <Typography.Text type="secondary">Input data ({lang === 'python' ? <code>input_data</code> : <code>inputData</code>} in the code)</Typography.Text>
      <KeyValues value={(cfg.inputData as Record<string, unknown>) ?? {}} onChange={(v) => set({ ...cfg, inputData: v })} path={`${path}.inputData`} keyLabel="Name" template secrets />
      <Field label="Code" path={`${path}.code`} required help={lang === 'python' ? 'Set output = {...} or return a dict.' : 'Return an object (or a list of objects).'}>
        <CodeEditor value={str(cfg.code)} onChange={(v) => set({ ...cfg, code: v })} ariaLabel="Code" />
      </Field>
      <Field label="Timeout (ms)" path={`${path}.timeoutMs`}>
        <InputNumber min={10} max={120000} value={cfg.timeoutMs as number | undefined} onChange={(v) => set(setKey(cfg, 'timeoutMs', v))} aria-label="Timeout" />
      </Field>
    </>
  );
}

function TextField({ cfg, set, path, k, label, multiline, placeholder, required, help, rows }: {
  cfg: Cfg; set: (c: Cfg) => void; path: string; k: string; label: string; multiline?: boolean; placeholder?: string; required?: boolean; help?: ReactNode; rows?: number;
}) {
  return (
    <Field label={label} path={`${path}.${k}`} required={required} help={help}>
      <TemplateInput value={str(cfg[k])} onChange={(v) => set(setKey(cfg, k, v))} multiline={multiline} rows={rows} placeholder={placeholder} ariaLabel={label} />
    </Field>
  );
}

function EmailConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const p = { cfg, set, path };
  return (
    <>
      <TextField {...p} k="to" label="To" placeholder="ml-team@example.com, lead@example.com" required />
      <TextField {...p} k="cc" label="Cc" />
      <TextField {...p} k="from" label="From" help="Default: the SMTP settings' sender." />
      <TextField {...p} k="subject" label="Subject" required placeholder="Experiment {{steps.verify.payload.event_data.experiment.name}} finished" />
      <TextField {...p} k="text" label="Text" multiline />
      <TextField {...p} k="html" label="HTML" multiline rows={2} />
    </>
  );
}

function SecretOrText({ cfg, set, path, k, label }: { cfg: Cfg; set: (c: Cfg) => void; path: string; k: string; label: string }) {
  const v = cfg[k];
  const isSecret = v !== null && typeof v === 'object' && 'secret' in (v as object);
  return (
    <Field label={label} path={`${path}.${k}`} required>
      <Space.Compact style={{ width: '100%' }}>
        <Select style={{ width: 120 }} value={isSecret ? 'secret' : 'text'} aria-label={`${label} source`}
          onChange={(m) => set({ ...cfg, [k]: m === 'secret' ? { secret: '' } : '' })} options={[{ value: 'secret', label: 'Secret' }, { value: 'text', label: 'Text' }]} />
        {isSecret
          ? <div style={{ flex: 1 }}><SecretSelect value={[(v as { secret: string }).secret].filter(Boolean)} onChange={(n) => set({ ...cfg, [k]: { secret: n[0] ?? '' } })} ariaLabel={label} /></div>
          : <Input value={str(v)} onChange={(e) => set({ ...cfg, [k]: e.target.value })} aria-label={label} />}
      </Space.Compact>
    </Field>
  );
}

function SlackConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const p = { cfg, set, path };
  return (
    <>
      <SecretOrText {...p} k="webhookUrl" label="Incoming webhook URL" />
      <TextField {...p} k="text" label="Text" multiline />
      <Flex gap={12}>
        <TextField {...p} k="username" label="Username" />
        <TextField {...p} k="iconEmoji" label="Icon emoji" placeholder=":robot_face:" />
      </Flex>
    </>
  );
}

function HttpConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const p = { cfg, set, path };
  return (
    <>
      <Flex gap={8}>
        <Field label="Method" path={`${path}.method`}>
          <Select style={{ width: 110 }} value={str(cfg.method) || 'POST'} onChange={(v) => set({ ...cfg, method: v })} aria-label="Method"
            options={['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => ({ value: m, label: m }))} />
        </Field>
        <div style={{ flex: 1 }}><TextField {...p} k="url" label="URL" required placeholder="https://example.com/hook" /></div>
      </Flex>
      <Typography.Text type="secondary">Headers</Typography.Text>
      <KeyValues value={(cfg.headers as Record<string, unknown>) ?? {}} onChange={(v) => set(setKey(cfg, 'headers', Object.keys(v).length ? v : undefined))} path={`${path}.headers`} keyLabel="Header" template />
      <TextField {...p} k="body" label="Body" multiline />
      <Flex gap={12}>
        <Field label="Timeout (ms)" path={`${path}.timeoutMs`}>
          <InputNumber min={1} value={cfg.timeoutMs as number | undefined} onChange={(v) => set(setKey(cfg, 'timeoutMs', v))} aria-label="HTTP timeout" />
        </Field>
        <Field label="Expected status" path={`${path}.expectStatus`} help="Comma-separated, e.g. 200, 201">
          <Input value={str(cfg.expectStatus)} aria-label="Expected status"
            onChange={(e) => set(setKey(cfg, 'expectStatus', e.target.value.trim() === '' ? undefined : e.target.value.split(',').map((s) => Number(s.trim())).filter((n) => !Number.isNaN(n))))} />
        </Field>
      </Flex>
    </>
  );
}

function AlertConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const p = { cfg, set, path };
  return (
    <>
      <TextField {...p} k="name" label="Name" required placeholder="webhook signature failed" />
      <Field label="Severity" path={`${path}.severity`}>
        <Select style={{ width: 140 }} value={str(cfg.severity) || 'error'} onChange={(v) => set({ ...cfg, severity: v })} aria-label="Severity"
          options={['info', 'warning', 'error'].map((s) => ({ value: s, label: s }))} />
      </Field>
      <TextField {...p} k="message" label="Message" multiline rows={2} />
    </>
  );
}

function JsonConfig({ cfg, set, path }: { cfg: Cfg; set: (c: Cfg) => void; path: string }) {
  const [text, setText] = useState(() => JSON.stringify(cfg, null, 2));
  const [err, setErr] = useState<string | null>(null);
  return (
    <Field label="Config (JSON)" path={path}>
      <CodeEditor value={text} rows={6} ariaLabel="Config JSON" onChange={(t) => {
        setText(t);
        try { const v = JSON.parse(t) as unknown; if (v && typeof v === 'object' && !Array.isArray(v)) { set(v as Cfg); setErr(null); } else setErr('must be a JSON object'); } catch (e) { setErr((e as Error).message); }
      }} />
      {err && <Typography.Text type="danger">{err}</Typography.Text>}
    </Field>
  );
}

// ---------- test step ----------

function TestStep({ step, env }: { step: Step; env: StepEnv }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestStepResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const run = async () => {
    setBusy(true); setError(null); setResult(null);
    try {
      const earlier = Object.fromEntries(Object.entries(env.outputs).filter(([k]) => k !== step.id));
      const { result: r } = await rapi.testStep(env.flowId, { step, steps: earlier });
      setResult(r);
      if (r.status === 'succeeded') env.setOutput(step.id, r.output);
    } catch (e) {
      if (isMissingRoute(e)) setMissing(true); else setError(e);
    } finally { setBusy(false); }
  };
  return (
    <div style={{ marginTop: 8 }}>
      <Button icon={<ExperimentOutlined />} onClick={run} loading={busy}>Test step</Button>
      {missing && <Alert style={{ marginTop: 8 }} type="info" showIcon message="This server has no test-step API yet: save the flow and run it on a capture (Test Trigger) to see this step's output." />}
      <ErrorAlert error={error} style={{ marginTop: 8 }} title={error instanceof ApiError && error.type === 'no_capture' ? 'No sample to test with' : undefined} />
      {result && (
        <Card size="small" style={{ marginTop: 8 }} title={<Space>Test result <StatusTag status={result.status} /> <Duration ms={result.durationMs} /></Space>}>
          {result.error && <Alert type="error" showIcon message={result.error} style={{ marginBottom: 8 }} />}
          <Typography.Text type="secondary">Output (capture #{result.captureId})</Typography.Text>
          <JsonBlock value={result.output} label="Test output" />
        </Card>
      )}
    </div>
  );
}

// ---------- step cards and lists ----------

function StepCard({ step, path, env, onChange, onRemove, onMove, first, last }: {
  step: Step; path: string; env: StepEnv; onChange: (s: Step) => void; onRemove: () => void; onMove: (d: -1 | 1) => void; first: boolean; last: boolean;
}) {
  const { problems } = useEditor();
  const cfg = ((step as ActionStep).config ?? {}) as Cfg;
  const setCfg = (c: Cfg) => onChange({ ...(step as ActionStep), config: c });
  const cpath = `${path}.config`;
  // Problems not shown at a field: at the step itself, or at config fields without an editor.
  const here = problemsAt(problems, path).filter((p) => !/\.paths\[\d+\]\.steps\[/.test(p.path.slice(path.length)));
  const stepLevel = here.filter((p) => p.path === path || p.path === `${path}.type` || p.path === `${path}.config`);
  let body: ReactNode;
  switch (step.type) {
    case 'verify_signature': body = <VerifyConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'code': body = <CodeConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'send_email': body = <EmailConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'post_slack': body = <SlackConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'http_request': body = <HttpConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'alert': body = <AlertConfig cfg={cfg} set={setCfg} path={cpath} />; break;
    case 'filter': body = (
      <>
        <Typography.Paragraph type="secondary">The run goes on only when this holds; otherwise it stops here.</Typography.Paragraph>
        <ConditionEditor value={(step as FilterStep).when} onChange={(when) => onChange({ ...(step as FilterStep), when })} path={`${path}.when`} />
      </>
    ); break;
    case 'paths': body = <PathsEditor step={step as PathsStep} path={path} env={env} onChange={onChange} />; break;
    default: body = <JsonConfig cfg={cfg} set={setCfg} path={cpath} />;
  }
  return (
    <Card size="small" className="sy-step" data-step-id={step.id} style={{ marginBottom: 12 }}
      title={<Space wrap><Tag color="blue">{typeLabel(step.type)}</Tag><Typography.Text strong>{step.name || step.id}</Typography.Text></Space>}
      extra={<Space size={0}>
        <Button type="text" size="small" icon={<ArrowUpOutlined />} disabled={first} onClick={() => onMove(-1)} aria-label={`Move ${step.id} up`} />
        <Button type="text" size="small" icon={<ArrowDownOutlined />} disabled={last} onClick={() => onMove(1)} aria-label={`Move ${step.id} down`} />
        <Button type="text" size="small" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={`Remove step ${step.id}`} />
      </Space>}>
      {stepLevel.length > 0 && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={stepLevel.map((p) => `${p.path}: ${p.message}`).join('; ')} />}
      <Flex gap={12} wrap="wrap">
        <div style={{ flex: '0 1 300px' }}>
          <Field label="Step id" path={`${path}.id`} help={`Later steps use {{steps.${step.id || '<id>'}.…}}`}>
            <Input value={step.id} onChange={(e) => onChange({ ...step, id: e.target.value })} aria-label="Step id" />
          </Field>
        </div>
        <div style={{ flex: '1 1 240px' }}>
          <Field label="Name" path={`${path}.name`}>
            <Input value={step.name ?? ''} aria-label="Step name" onChange={(e) => { const { name: _, ...rest } = step; onChange(e.target.value ? { ...step, name: e.target.value } : rest as Step); }} />
          </Field>
        </div>
      </Flex>
      {body}
      {step.type !== 'paths' && <TestStep step={step} env={env} />}
    </Card>
  );
}

function PathsEditor({ step, path, env, onChange }: { step: PathsStep; path: string; env: StepEnv; onChange: (s: Step) => void }) {
  const setBranch = (i: number, b: PathBranch) => onChange({ ...step, paths: step.paths.map((x, j) => (j === i ? b : x)) });
  return (
    <div>
      <Typography.Paragraph type="secondary">The run takes the first path whose condition holds, else the fallback path.</Typography.Paragraph>
      {step.paths.map((b, i) => {
        const bpath = `${path}.paths[${i}]`;
        return (
          <Card key={i} size="small" type="inner" style={{ marginBottom: 12, background: '#fafafa' }}
            title={<Space>Path {String.fromCharCode(65 + i)}{b.fallback && <Tag>fallback</Tag>}</Space>}
            extra={<Button type="text" size="small" danger icon={<DeleteOutlined />} aria-label={`Remove path ${b.name}`}
              onClick={() => onChange({ ...step, paths: step.paths.filter((_, j) => j !== i) })} />}>
            <Flex gap={12} align="center" wrap="wrap">
              <div style={{ flex: '1 1 240px' }}>
                <Field label="Path name" path={`${bpath}.name`}>
                  <Input value={b.name} onChange={(e) => setBranch(i, { ...b, name: e.target.value })} aria-label="Path name" />
                </Field>
              </div>
              <Field label=" " path={`${bpath}.fallback`}>
                <Checkbox checked={b.fallback === true} onChange={(e) => {
                  const { when: _w, fallback: _f, ...rest } = b;
                  setBranch(i, e.target.checked ? { ...rest, fallback: true } : { ...rest, when: { left: '', op: 'equals', right: '' } });
                }}>Fallback (when no other path matches)</Checkbox>
              </Field>
            </Flex>
            {!b.fallback && <ConditionEditor value={b.when} onChange={(when) => setBranch(i, { ...b, when })} path={`${bpath}.when`} />}
            <Typography.Title level={5} style={{ marginTop: 12 }}>Steps of this path</Typography.Title>
            <StepList steps={b.steps} path={`${bpath}.steps`} env={env} onChange={(steps) => setBranch(i, { ...b, steps })} />
          </Card>
        );
      })}
      <Button size="small" icon={<PlusOutlined />}
        onClick={() => onChange({ ...step, paths: [...step.paths, { name: `path ${String.fromCharCode(65 + step.paths.length)}`, when: { left: '', op: 'equals', right: '' }, steps: [] }] })}>
        Add path
      </Button>
    </div>
  );
}

export function StepList({ steps, path, env, onChange }: { steps: Step[]; path: string; env: StepEnv; onChange: (s: Step[]) => void }) {
  const add = (type: string) => onChange([...steps, newStep(type, env.allIds)]);
  return (
    <div>
      {steps.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No steps yet." style={{ margin: '8px 0' }} />}
      {steps.map((s, i) => (
        <StepCard key={i} step={s} path={`${path}[${i}]`} env={env} first={i === 0} last={i === steps.length - 1}
          onChange={(ns) => onChange(steps.map((x, j) => (j === i ? ns : x)))}
          onRemove={() => onChange(steps.filter((_, j) => j !== i))}
          onMove={(d) => { const next = [...steps]; const [m] = next.splice(i, 1); next.splice(i + d, 0, m!); onChange(next); }} />
      ))}
      <Dropdown trigger={['click']} menu={{ items: STEP_TYPES.map((t) => ({ key: t.type, label: t.label })), onClick: ({ key }) => add(key) }}>
        <Button icon={<PlusOutlined />} aria-label={path === 'steps' ? 'Add step' : 'Add step to path'}>Add step</Button>
      </Dropdown>
    </div>
  );
}

