/**
 * The editor's building blocks: fields that take templates with a picker of known values (the sample capture and the
 * earlier steps' outputs), a code editor, and how invalid_flow problems find their field.
 */
import { createContext, useContext, useRef, useState, type ReactNode, type KeyboardEvent } from 'react';
import { Button, Form, Input, Popover, Select, Tooltip, Typography } from 'antd';
import { BranchesOutlined } from '@ant-design/icons';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import type { InputRef } from 'antd';
import type { Capture } from '../../types-receiver';

export interface Problem { path: string; message: string }

/** What the editor knows: the problems of the last save, and the values a template can pick. */
export interface EditorContext {
  problems: Problem[];
  /** Known values, by template path (`capture.json.event_id`, `steps.verify.result`), with a short preview. */
  fields: { path: string; preview: string }[];
  secretNames: string[];
}
export const EditorCtx = createContext<EditorContext>({ problems: [], fields: [], secretNames: [] });
export const useEditor = () => useContext(EditorCtx);

/** The problems at a JSON path or below it (`steps[0].config.to` is under `steps[0].config`). */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
}

/** The capture as steps' templates see it (`capture.headers.<lowercase name>`, `capture.json`, …). */
export function captureTemplateView(c: Capture): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const { name, value } of c.headers) {
    const k = name.toLowerCase();
    headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
  }
  const queryParams: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(c.query)) if (!(k in queryParams)) queryParams[k] = v;
  let json: unknown = null;
  if (c.body) { try { json = JSON.parse(c.body); } catch { json = null; } }
  return {
    method: c.method, path: c.path, query: c.query, queryParams, headers, body: c.body ?? '', json, contentType: c.contentType,
    remoteAddress: c.remoteAddress, receivedAt: c.receivedAt,
  };
}

/** Every leaf (and object) path of a value, with a preview, up to a limit. */
export function flattenFields(prefix: string, value: unknown, out: { path: string; preview: string }[] = [], depth = 0): { path: string; preview: string }[] {
  if (out.length > 500 || depth > 8) return out;
  if (value !== null && typeof value === 'object') {
    if (depth > 0) out.push({ path: prefix, preview: Array.isArray(value) ? `[${value.length} items]` : '{…}' });
    const entries = Array.isArray(value) ? value.slice(0, 20).map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [k, v] of entries) flattenFields(`${prefix}.${k}`, v, out, depth + 1);
  } else {
    const s = value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value);
    out.push({ path: prefix, preview: s.length > 60 ? `${s.slice(0, 60)}…` : s });
  }
  return out;
}

/** A form field that shows the problems at its path (from the server's invalid_flow answer). */
export function Field({ label, path, children, help, required }: { label: ReactNode; path: string; children: ReactNode; help?: ReactNode; required?: boolean }) {
  const { problems } = useEditor();
  const mine = problemsAt(problems, path);
  return (
    <Form.Item label={label} required={required} validateStatus={mine.length ? 'error' : undefined} style={{ marginBottom: 12 }}
      help={mine.length ? mine.map((p) => (p.path === path ? p.message : `${p.path.slice(path.length).replace(/^\./, '')}: ${p.message}`)).join('; ') : help}>
      {children}
    </Form.Item>
  );
}

function FieldPicker({ onPick, bare }: { onPick: (text: string) => void; bare?: boolean }) {
  const { fields } = useEditor();
  const [open, setOpen] = useState(false);
  return (
    <Popover open={open} onOpenChange={setOpen} trigger="click" placement="bottomRight" destroyOnHidden
      content={
        <div style={{ width: 420 }}>
          {fields.length === 0 ? (
            <Typography.Text type="secondary">No fields yet: send a request to the catch URL and choose it as the sample (Test Trigger), or test earlier steps.</Typography.Text>
          ) : (
            <Select showSearch autoFocus defaultOpen style={{ width: '100%' }} placeholder="Search fields" aria-label="Field"
              options={fields.map((f) => ({ value: f.path, label: <span><code>{f.path}</code> <Typography.Text type="secondary">{f.preview}</Typography.Text></span>, search: `${f.path} ${f.preview}` }))}
              filterOption={(input, o) => String((o as { search?: string }).search ?? '').toLowerCase().includes(input.toLowerCase())}
              onSelect={(v: string) => { setOpen(false); onPick(bare ? v : `{{${v}}}`); }} />
          )}
        </div>
      }>
      <Tooltip title="Insert a field from the sample or an earlier step">
        <Button icon={<BranchesOutlined />} aria-label="Insert field" />
      </Tooltip>
    </Popover>
  );
}

function insertAt(el: HTMLInputElement | HTMLTextAreaElement | null | undefined, value: string, text: string): string {
  if (!el || el.selectionStart === null) return value + text;
  const s = el.selectionStart;
  const e = el.selectionEnd ?? s;
  return value.slice(0, s) + text + value.slice(e);
}

/** A text input that takes templates, with a field picker. `bare`: the picker inserts the path itself (conditions). */
export function TemplateInput({ value, onChange, placeholder, multiline, bare, ariaLabel, rows }: {
  value: string | undefined; onChange: (v: string) => void; placeholder?: string; multiline?: boolean; bare?: boolean; ariaLabel?: string; rows?: number;
}) {
  const input = useRef<InputRef>(null);
  const area = useRef<TextAreaRef>(null);
  const v = value ?? '';
  const pick = (text: string) => {
    if (bare) onChange(text);
    else onChange(insertAt(multiline ? area.current?.resizableTextArea?.textArea : input.current?.input, v, text));
  };
  return (
    <div style={{ display: 'flex', gap: 4, alignItems: 'flex-start' }}>
      {multiline
        ? <Input.TextArea ref={area} value={v} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} aria-label={ariaLabel} autoSize={{ minRows: rows ?? 3, maxRows: 16 }} />
        : <Input ref={input} value={v} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} aria-label={ariaLabel} />}
      <FieldPicker onPick={pick} bare={bare} />
    </div>
  );
}

/** A monospace code editor: Tab indents (Shift+Tab outdents), Escape then Tab leaves the field (keyboard users). */
export function CodeEditor({ value, onChange, ariaLabel, rows = 14 }: { value: string; onChange: (v: string) => void; ariaLabel?: string; rows?: number }) {
  const escaped = useRef(false);
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') { escaped.current = true; return; }
    if (e.key !== 'Tab' || escaped.current) { escaped.current = false; return; }
    e.preventDefault();
    const el = e.currentTarget;
    const { selectionStart: s, selectionEnd: end } = el;
    const lineStart = value.lastIndexOf('\n', s - 1) + 1;
    let next: string; let cursor: number;
    if (e.shiftKey) {
      const remove = value.slice(lineStart, lineStart + 4).match(/^ {1,4}/)?.[0].length ?? 0;
      next = value.slice(0, lineStart) + value.slice(lineStart + remove);
      cursor = Math.max(lineStart, s - remove);
    } else {
      next = value.slice(0, s) + '    ' + value.slice(end);
      cursor = s + 4;
    }
    onChange(next);
    requestAnimationFrame(() => { el.selectionStart = el.selectionEnd = cursor; });
  };
  return (
    <Input.TextArea value={value} onChange={(e) => onChange(e.target.value)} onKeyDown={onKeyDown} aria-label={ariaLabel} spellCheck={false}
      autoSize={{ minRows: rows, maxRows: 40 }} style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13 }} />
  );
}

export const PRE_STYLE = {
  background: '#fafafa', border: '1px solid #f0f0f0', borderRadius: 6, padding: 8, margin: 0, maxHeight: 360, overflow: 'auto',
  fontSize: 12, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', whiteSpace: 'pre-wrap', wordBreak: 'break-all',
} as const;

/** A value as indented JSON (or text as is) in a scrolling block. */
export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  const text = typeof value === 'string' ? value : value === undefined ? '—' : JSON.stringify(value, null, 2);
  return <pre style={PRE_STYLE} aria-label={label}>{text}</pre>;
}
