/**
 * Paddock's own address pool for per-sandbox networks. The engine's default pools run out after
 * a few dozen networks; a /16 cut into /28s gives 4096 sandbox networks. Pure.
 */
export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';
export const SANDBOX_PREFIX_LENGTH = 28; // 16 addresses: network, gateway, proxy, sandbox, spare

export interface SubnetPlan {
  subnet: string; // e.g. 10.213.0.16/28
  gateway: string; // .1 of the block: the bridge
  proxy: string; // .2: the egress proxy's address on this network
  sandbox: string; // .3: the sandbox itself
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${ip}`);
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, len] = cidr.split('/');
  const prefix = Number(len);
  if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad CIDR ${cidr}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, prefix };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const A = parseCidr(a);
  const B = parseCidr(b);
  const p = Math.min(A.prefix, B.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((A.base & mask) >>> 0) === ((B.base & mask) >>> 0);
}

export function planFor(subnet: string): SubnetPlan {
  const { base } = parseCidr(subnet);
  return { subnet, gateway: intToIp(base + 1), proxy: intToIp(base + 2), sandbox: intToIp(base + 3) };
}

/** First /28 of the pool that overlaps none of the subnets in use; null when the pool is full. */
export function allocateSubnet(used: readonly string[], pool = DEFAULT_SUBNET_POOL): SubnetPlan | null {
  const { base, prefix } = parseCidr(pool);
  const count = 2 ** (SANDBOX_PREFIX_LENGTH - prefix);
  const size = 2 ** (32 - SANDBOX_PREFIX_LENGTH);
  // used blocks as [start, end] address ranges, parsed once
  const ranges = used
    .filter((u) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(u))
    .map((u) => {
      const c = parseCidr(u);
      return [c.base, c.base + 2 ** (32 - c.prefix) - 1] as const;
    });
  for (let i = 0; i < count; i++) {
    const start = base + i * size;
    const end = start + size - 1;
    if (!ranges.some(([a, b]) => a <= end && start <= b)) return planFor(`${intToIp(start)}/${SANDBOX_PREFIX_LENGTH}`);
  }
  return null;
}
