/**
 * Copy/paste shortcuts people expect in a terminal: Ctrl+Shift+C / Ctrl+Shift+V (Linux,
 * Windows), Cmd+C / Cmd+V (macOS), and Ctrl+C copies when there is a selection (otherwise it is
 * the interrupt the agent needs). Pure, so the mapping is testable.
 */
export interface KeyLike {
  type: string;
  key: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

export type ClipboardAction = 'copy' | 'paste' | 'find' | null;

export function clipboardAction(ev: KeyLike, hasSelection: boolean, isMac: boolean): ClipboardAction {
  if (ev.type !== 'keydown' || ev.altKey) return null;
  const k = ev.key.toLowerCase();
  if (isMac && ev.metaKey && !ev.ctrlKey) {
    if (k === 'c') return hasSelection ? 'copy' : null;
    if (k === 'v') return 'paste';
    if (k === 'f') return 'find';
    return null;
  }
  if (ev.ctrlKey && ev.shiftKey && !ev.metaKey) {
    if (k === 'c') return 'copy';
    if (k === 'v') return 'paste';
    if (k === 'f') return 'find';
    return null;
  }
  if (ev.ctrlKey && !ev.shiftKey && !ev.metaKey && k === 'c' && hasSelection) return 'copy';
  return null;
}

export function isMacPlatform(nav: { platform?: string; userAgent?: string } = navigator): boolean {
  return /mac|iphone|ipad/i.test(nav.platform ?? '') || /Mac OS X/.test(nav.userAgent ?? '');
}
