import { describe, expect, it } from 'vitest';
import { formatBytes, parseCpus, parseMemory, parsePids } from './sizes.js';

describe('sizes', () => {
  it.each([
    ['512m', 512 * 2 ** 20], ['4g', 4 * 2 ** 30], ['1.5GiB', 1.5 * 2 ** 30], ['2048MB', 2 * 2 ** 30], [' 1G ', 2 ** 30], [134217728, 134217728],
  ] as const)('parseMemory(%j)', (input, bytes) => expect(parseMemory(input)).toBe(bytes));

  it.each(['lots', '4x', '-1g', '', '1 2g'])('parseMemory(%j) says how to write it', (input) => expect(() => parseMemory(input)).toThrow(/e\.g\. 512m or 4g/));
  it('refuses memory below the minimum', () => expect(() => parseMemory('1m')).toThrow(/64m minimum/));

  it.each([['2', 2], ['0.5', 0.5], [1.5, 1.5]] as const)('parseCpus(%j)', (i, n) => expect(parseCpus(i)).toBe(n));
  it.each(['two', '0', '-1', '1e9'])('parseCpus(%j) refuses', (i) => expect(() => parseCpus(i)).toThrow(/CPU count/));
  it.each(['3', 'many', '1.5'])('parsePids(%j) refuses', (i) => expect(() => parsePids(i)).toThrow(/pids limit/));
  it('formats bytes', () => expect([formatBytes(4 * 2 ** 30), formatBytes(1536)]).toEqual(['4GiB', '1.5KiB']));
});
