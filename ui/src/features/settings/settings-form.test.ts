import { describe, expect, it } from 'vitest';
import { sandbox } from '../../state/fixtures';
import { memoryInput, settingsFrom, settingsPatch, validateSettings } from './settings-form';

describe('settings form', () => {
  const sb = sandbox({ allowHosts: ['api.anthropic.com'], resources: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 } });

  it('round-trips an unchanged sandbox to no patch', () => {
    expect(settingsFrom(sb)).toEqual({ network: 'allowlist', allowHosts: ['api.anthropic.com'], cpus: '2', memory: '2g', pids: '512' });
    expect(settingsPatch(sb, settingsFrom(sb))).toBeNull();
  });

  it('sends only what changed', () => {
    expect(settingsPatch(sb, { ...settingsFrom(sb), network: 'none' })).toEqual({ network: 'none' });
    expect(settingsPatch(sb, { ...settingsFrom(sb), allowHosts: ['api.anthropic.com', 'Example.com '] })).toEqual({
      allowHosts: ['api.anthropic.com', 'example.com'],
    });
    expect(settingsPatch(sb, { ...settingsFrom(sb), memory: '4096m', cpus: '1' })).toEqual({ memory: 4 * 1024 ** 3, cpus: 1 });
  });

  it('validates hosts and resources', () => {
    const e = validateSettings({ network: 'allowlist', allowHosts: ['ftp://x'], cpus: '0', memory: 'big', pids: '1' });
    expect(Object.keys(e).sort()).toEqual(['allowHosts', 'cpus', 'memory', 'pids']);
    expect(validateSettings({ ...settingsFrom(sb), network: 'none', allowHosts: ['ftp://x'] })).toEqual({});
  });

  it('formats memory as people type it', () => {
    expect(memoryInput(512 * 1024 ** 2)).toBe('512m');
    expect(memoryInput(1536 * 1024 ** 2)).toBe('1536m');
    expect(memoryInput(1000)).toBe('1000');
  });
});

describe('restart to apply', () => {
  it('is needed for new limits of a running gVisor sandbox only', async () => {
    const { restartToApply } = await import('./settings-form');
    const gv = sandbox({ isolation: 'gvisor' });
    expect(restartToApply(gv, { memory: 1024 ** 3 })).toBe(true);
    expect(restartToApply(gv, { network: 'none' })).toBe(false);
    expect(restartToApply({ ...gv, state: 'stopped' }, { cpus: 1 })).toBe(false);
    expect(restartToApply(sandbox(), { cpus: 1 })).toBe(false);
    expect(restartToApply(gv, null)).toBe(false);
  });
});
