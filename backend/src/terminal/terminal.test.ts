import { describe, expect, it } from 'vitest';
import { FLOW_HIGH_WATERMARK, FLOW_LOW_WATERMARK } from '../core/protocol.js';
import { ExitMarkerScanner, stripExitMarkers } from './exit-marker.js';
import { FlowController } from './flow.js';

describe('FlowController', () => {
  it('pauses above the high watermark and resumes below the low one', () => {
    const calls: string[] = [];
    const f = new FlowController(() => calls.push('pause'), () => calls.push('resume'));
    f.sent(FLOW_HIGH_WATERMARK);
    expect(calls).toEqual([]);
    f.sent(1);
    expect(calls).toEqual(['pause']);
    f.sent(50_000);
    expect(calls).toEqual(['pause']);
    f.acked(FLOW_HIGH_WATERMARK + 50_001 - FLOW_LOW_WATERMARK);
    expect(calls).toEqual(['pause']); // exactly at low: still paused
    f.acked(1);
    expect(calls).toEqual(['pause', 'resume']);
    expect(f.pending).toBe(FLOW_LOW_WATERMARK - 1);
  });
  it('never goes negative on over-acknowledgement', () => {
    const f = new FlowController(() => {}, () => {});
    f.acked(10);
    expect(f.pending).toBe(0);
  });
});

describe('ExitMarkerScanner', () => {
  const marker = (n: number) => Buffer.from(`\x1b]7777;paddock-exit=${n}\x07`);
  it('finds a marker in one chunk', () => {
    expect(new ExitMarkerScanner().scan(Buffer.concat([Buffer.from('bye\r\n'), marker(3)]))).toEqual([3]);
  });
  it('finds a marker split across chunks at every position', () => {
    const whole = Buffer.concat([Buffer.from('x'), marker(127), Buffer.from('y')]);
    for (let cut = 1; cut < whole.length; cut++) {
      const s = new ExitMarkerScanner();
      expect([...s.scan(whole.subarray(0, cut)), ...s.scan(whole.subarray(cut))]).toEqual([127]);
    }
  });
  it('ignores other OSC sequences', () => {
    expect(new ExitMarkerScanner().scan(Buffer.from('\x1b]52;c;aGk=\x07\x1b]0;title\x07'))).toEqual([]);
  });
  it('strips complete markers from what viewers get', () => {
    expect(stripExitMarkers(Buffer.concat([Buffer.from('a'), marker(0), Buffer.from('b')])).toString()).toBe('ab');
  });
});
