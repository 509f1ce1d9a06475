import { describe, expect, it } from 'vitest';
import { restartNeeds } from './routes.js';

const sb = (over: Partial<Parameters<typeof restartNeeds>[0]> = {}) => ({
  name: 'app',
  state: 'running' as const,
  isolation: 'gvisor' as const,
  network: 'allowlist' as const,
  resources: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 },
  ...over,
});

describe('restartNeeds (PATCH /sandboxes/:name)', () => {
  it('refuses new limits for a running gVisor sandbox, with the way to apply them', () => {
    const r = restartNeeds(sb(), { memory: '4g' });
    expect(r.refuse).toMatch(/gVisor cannot change/);
    expect(r.refuse).toMatch(/\?restart=true/);
    expect(restartNeeds(sb(), { cpus: 2, memory: 2 * 1024 ** 3, pids: 512 }).refuse).toBeNull(); // unchanged values are no change
  });

  it('says a restart is needed when gVisor gains a network connection', () => {
    expect(restartNeeds(sb({ network: 'none' }), { network: 'allowlist' }).reasons).toHaveLength(1);
    expect(restartNeeds(sb(), { network: 'open' }).reasons).toHaveLength(1);
    expect(restartNeeds(sb(), { network: 'none' }).reasons).toEqual([]); // a disconnect is seen at once
    expect(restartNeeds(sb({ network: 'open' }), { network: 'allowlist' }).reasons).toEqual([]);
    expect(restartNeeds(sb(), { allowHosts: ['api.example.test'] }).reasons).toEqual([]); // the proxy applies allowlists live
  });

  it('asks nothing of runc or of a stopped sandbox', () => {
    expect(restartNeeds(sb({ isolation: 'container' }), { memory: '4g', network: 'open' })).toEqual({ refuse: null, reasons: [] });
    expect(restartNeeds(sb({ state: 'stopped' }), { memory: '4g', network: 'open' })).toEqual({ refuse: null, reasons: [] });
  });
});
