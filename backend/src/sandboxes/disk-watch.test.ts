import { describe, expect, it } from 'vitest';
import type { ContainerSummary, Engine } from '../engine/types.js';
import { DEFAULT_DISK_LIMIT_BYTES, DiskWatch, decide, diskLimitFromEnv, type LayerSize } from './disk-watch.js';

const G = 1024 ** 3;
const M = 1024 ** 2;

describe('decide', () => {
  const size = (id: string, sizeRw: number | null): LayerSize => ({ id, name: `n-${id}`, sizeRw });

  it.each([
    ['under the limit', [size('a', 10 * M)], []],
    ['exactly at the limit', [size('a', 100 * M)], []],
    ['over the limit', [size('a', 100 * M + 1)], ['a']],
    ['unknown size is never acted on', [size('a', null)], []],
    ['only the ones over', [size('a', 50 * M), size('b', 200 * M), size('c', 101 * M)], ['b', 'c']],
  ] as const)('%s', (_t, sizes, ids) => {
    expect(decide(sizes, 100 * M, new Set()).map((e) => e.id)).toEqual(ids);
  });

  it('acts once per excess, and again after the sandbox came back under the limit', () => {
    const handled = new Set<string>();
    expect(decide([size('a', 200 * M)], 100 * M, handled)).toHaveLength(1);
    expect(decide([size('a', 250 * M)], 100 * M, handled)).toHaveLength(0); // still over: already stopped
    expect(decide([size('a', 10 * M)], 100 * M, handled)).toHaveLength(0);
    expect(decide([size('a', 300 * M)], 100 * M, handled)).toEqual([{ id: 'a', name: 'n-a', sizeRw: 300 * M, limitBytes: 100 * M }]);
  });
});

describe('diskLimitFromEnv', () => {
  it.each([
    [undefined, DEFAULT_DISK_LIMIT_BYTES],
    ['', DEFAULT_DISK_LIMIT_BYTES],
    ['20g', 20 * G],
    ['512m', 512 * M],
    ['1.5GiB', 1.5 * G],
    ['0', null],
    ['off', null],
  ] as const)('%s → %s', (raw, bytes) => {
    expect(diskLimitFromEnv(raw === undefined ? {} : { PADDOCK_DISK_LIMIT: raw })).toBe(bytes);
  });

  it.each(['lots', '10', '-5g', '20x'])('refuses %s with the fix', (raw) => {
    expect(() => diskLimitFromEnv({ PADDOCK_DISK_LIMIT: raw })).toThrow(/PADDOCK_DISK_LIMIT=20g/);
  });
});

describe('DiskWatch', () => {
  const summary = (id: string, state: string): ContainerSummary => ({ id, name: id, state, labels: { 'io.paddock.sandbox': `sb-${id}` }, image: 'x', createdAt: '' });

  it('measures running sandboxes only and calls back for the ones over the limit', async () => {
    const measured: string[] = [];
    const engine = {
      containers: {
        list: async () => [summary('a', 'running'), summary('b', 'exited'), summary('c', 'running')],
        sizeRw: async (id: string) => {
          measured.push(id);
          return id === 'c' ? 2 * G : 1 * M;
        },
      },
    } as unknown as Engine;
    const stopped: string[] = [];
    const w = new DiskWatch(engine, { limitBytes: G, onExceeded: (e) => void stopped.push(e.name) });
    await w.check();
    await w.check();
    expect(measured).toEqual(['a', 'c', 'a', 'c']);
    expect(stopped).toEqual(['sb-c']);
  });
});
