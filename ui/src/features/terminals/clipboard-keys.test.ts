import { describe, expect, it } from 'vitest';
import { clipboardAction, isMacPlatform, type KeyLike } from './clipboard-keys';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ type: 'keydown', key: k, ctrlKey: false, shiftKey: false, metaKey: false, altKey: false, ...mods });

describe('clipboardAction', () => {
  it('Ctrl+Shift+C/V copy and paste on Linux/Windows', () => {
    expect(clipboardAction(key('C', { ctrlKey: true, shiftKey: true }), false, false)).toBe('copy');
    expect(clipboardAction(key('V', { ctrlKey: true, shiftKey: true }), false, false)).toBe('paste');
    expect(clipboardAction(key('F', { ctrlKey: true, shiftKey: true }), false, false)).toBe('find');
  });
  it('Ctrl+C copies only with a selection, otherwise it goes to the agent as an interrupt', () => {
    expect(clipboardAction(key('c', { ctrlKey: true }), true, false)).toBe('copy');
    expect(clipboardAction(key('c', { ctrlKey: true }), false, false)).toBeNull();
    expect(clipboardAction(key('v', { ctrlKey: true }), false, false)).toBeNull(); // ^V is literal-next in readline
  });
  it('Cmd+C/V on macOS; Ctrl+C with a selection copies there too', () => {
    expect(clipboardAction(key('c', { metaKey: true }), true, true)).toBe('copy');
    expect(clipboardAction(key('v', { metaKey: true }), false, true)).toBe('paste');
    expect(clipboardAction(key('c', { ctrlKey: true }), true, true)).toBe('copy');
  });
  it('ignores key-up, Alt chords and plain keys', () => {
    expect(clipboardAction({ ...key('c', { ctrlKey: true, shiftKey: true }), type: 'keyup' }, true, false)).toBeNull();
    expect(clipboardAction(key('c', { ctrlKey: true, shiftKey: true, altKey: true }), true, false)).toBeNull();
    expect(clipboardAction(key('c'), true, false)).toBeNull();
  });
  it('detects macOS', () => {
    expect(isMacPlatform({ platform: 'MacIntel' })).toBe(true);
    expect(isMacPlatform({ platform: 'Linux x86_64', userAgent: 'X11' })).toBe(false);
  });
});
