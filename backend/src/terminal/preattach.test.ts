import { describe, expect, it } from 'vitest';
import { parsePreattach } from './service.js';

describe('parsePreattach', () => {
  it('reads a running agent and its scrollback', () => {
    expect(parsePreattach('running\nline 1\nline 2\n', 'agent')).toEqual({ status: { state: 'running', code: null }, history: 'line 1\nline 2' });
  });
  it('reads an exited agent with its code', () => {
    expect(parsePreattach('exited 3\n', 'agent')).toEqual({ status: { state: 'exited', code: 3 }, history: '' });
  });
  it('has no agent status for shells, and keeps history lines that look like states', () => {
    expect(parsePreattach('running\nexited 1\n', 'shell-1')).toEqual({ status: null, history: 'exited 1' });
  });
  it('is unknown when the state line is garbage', () => {
    expect(parsePreattach('', 'agent')).toEqual({ status: null, history: '' });
  });
});
