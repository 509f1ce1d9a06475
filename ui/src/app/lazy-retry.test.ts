import { describe, expect, it } from 'vitest';
import { lazyRetry } from './lazy-retry';

describe('lazyRetry', () => {
  it('tries again after a failed load, then gives up with the last error', async () => {
    let n = 0;
    await expect(lazyRetry(() => (++n < 3 ? Promise.reject(new Error(`fail ${n}`)) : Promise.resolve('ok')), 3, 1)).resolves.toBe('ok');
    expect(n).toBe(3);
    n = 0;
    await expect(lazyRetry(() => Promise.reject(new Error(`fail ${++n}`)), 2, 1)).rejects.toThrow('fail 2');
  });
});
