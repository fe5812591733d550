/** Copies a text to the clipboard, with a toast saying whether it worked. */
import { Button, Tooltip, App } from 'antd';
import { CopyOutlined } from '@ant-design/icons';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus, insecure context): fall back to a hidden text area.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, label, what = 'Text' }: { text: string; label?: string; what?: string }) {
  const { message } = App.useApp();
  const onClick = async () => {
    if (await copyText(text)) void message.success(`${what} copied to the clipboard.`);
    else void message.error('Unable to Copy to Clipboard');
  };
  return (
    <Tooltip title={label ? undefined : `Copy ${what.toLowerCase()}`}>
      <Button size="small" icon={<CopyOutlined />} onClick={onClick} aria-label={`Copy ${what.toLowerCase()}`}>
        {label}
      </Button>
    </Tooltip>
  );
}
