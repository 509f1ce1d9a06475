import { describe, expect, it } from 'vitest';
import { allocateSubnet, cidrsOverlap, planFor } from './subnets.js';

describe('subnet pool', () => {
  it('plans gateway, proxy and sandbox addresses in a /28', () => {
    expect(planFor('10.213.0.16/28')).toEqual({ subnet: '10.213.0.16/28', gateway: '10.213.0.17', proxy: '10.213.0.18', sandbox: '10.213.0.19' });
  });
  it('takes the first free block and skips overlapping ones', () => {
    expect(allocateSubnet([])!.subnet).toBe('10.213.0.0/28');
    expect(allocateSubnet(['10.213.0.0/28', '10.213.0.16/28'])!.subnet).toBe('10.213.0.32/28');
    expect(allocateSubnet(['10.213.0.0/24'])!.subnet).toBe('10.213.1.0/28');
    expect(allocateSubnet(['10.0.0.0/8'])).toBeNull();
  });
  it('has room for hundreds of sandboxes', () => {
    const used: string[] = [];
    for (let i = 0; i < 500; i++) used.push(allocateSubnet(used)!.subnet);
    expect(new Set(used).size).toBe(500);
  });
  it.each([
    ['10.0.0.0/8', '10.213.0.0/28', true],
    ['172.17.0.0/16', '10.213.0.0/16', false],
    ['10.213.0.16/28', '10.213.0.32/28', false],
  ])('overlap(%s, %s) = %s', (a, b, r) => expect(cidrsOverlap(a, b)).toBe(r));
});
