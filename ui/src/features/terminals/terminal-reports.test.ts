import { describe, expect, it } from 'vitest';
import { isDeviceAttributesReport, isTerminalReport } from './terminal-reports';

describe('isTerminalReport', () => {
  it('recognises what xterm answers to tmux and replayed queries', () => {
    for (const r of ['\x1b[?1;2c', '\x1b[>0;276;0c', '\x1b[?1;2c\x1b[>0;276;0c', '\x1b[12;40R', '\x1b[0n', '\x1b]11;rgb:1b1b/1c1c/1f1f\x1b\\', '\x1bP>|xterm.js(5.5.0)\x1b\\', '\x1b[?2004;1$y']) {
      expect(isTerminalReport(r), JSON.stringify(r)).toBe(true);
    }
  });
  it('never swallows what a person types', () => {
    for (const k of ['a', 'echo hi\r', '\x03', '\x1b', '\x1b[A', '\x1b[1;5C', '\x1bOP', 'c', '1;2c', '\x1b[200~paste\x1b[201~', '\x1b[?1;2cls']) {
      expect(isTerminalReport(k), JSON.stringify(k)).toBe(false);
    }
  });
});

describe('isDeviceAttributesReport', () => {
  it('is only DA and XTVERSION answers', () => {
    expect(isDeviceAttributesReport('\x1b[?1;2c\x1b[>0;276;0c')).toBe(true);
    expect(isDeviceAttributesReport('\x1bP>|xterm.js(5.5.0)\x1b\\')).toBe(true);
    expect(isDeviceAttributesReport('\x1b[12;40R')).toBe(false);
    expect(isDeviceAttributesReport('1;2c')).toBe(false);
  });
});
