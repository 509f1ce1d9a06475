import { describe, expect, it } from 'vitest';
import { parsePreattach } from './service.js';

describe('parsePreattach', () => {
  it('reads a running agent and its scrollback', () => {
    expect(parsePreattach('line 1\nline 2\nrunning\n', 'agent')).toEqual({ status: { state: 'running', code: null }, history: 'line 1\nline 2' });
  });
  it('reads an exited agent with its code', () => {
    expect(parsePreattach('exited 3\n', 'agent')).toEqual({ status: { state: 'exited', code: 3 }, history: '' });
  });
  it('has no agent status for shells, and keeps history lines that look like states', () => {
    expect(parsePreattach('exited 1\nrunning\n', 'shell-1')).toEqual({ status: null, history: 'exited 1' });
  });
  it('keeps empty history lines', () => {
    expect(parsePreattach('a\n\nb\nexited 0\n', 'agent')).toEqual({ status: { state: 'exited', code: 0 }, history: 'a\n\nb' });
  });
  it('is unknown when the state line is garbage', () => {
    expect(parsePreattach('', 'agent')).toEqual({ status: null, history: '' });
  });
});
