/**
 * Entry point of the egress proxy container (`paddock/egress`). Configuration comes from the
 * environment paddockd sets when it creates the container:
 *
 *   PADDOCK_EGRESS_TOKEN              bearer token for the control port (required)
 *   PADDOCK_EGRESS_CONTROL_CIDR       the outbound network's subnet: the control port binds only to
 *                                     the proxy's address in it, never on a sandbox network
 *   PADDOCK_EGRESS_HARD_DENY          CIDRs never connected to, whatever the rules (Paddock's pool)
 *   PADDOCK_EGRESS_RESOLVE_OVERRIDE   tests only: `a.test=10.1.2.3,b.test=…`
 *   PADDOCK_EGRESS_TEST_HOOKS=1       tests only: accept resolve overrides over the control port
 *   PADDOCK_EGRESS_EXTRA_CA_PEM       tests only: a CA trusted for upstream TLS
 */
import { networkInterfaces } from 'node:os';
import { inPrefix, parseIp, type IpAddress } from '../../core/egress-rules.js';
import { CONTROL_PORT, CREDENTIAL_PORT, PROXY_PORT } from './control-protocol.js';
import { DNS_PORT } from './dns-responder.js';
import { EgressProxy, parseCidr, parseResolveOverride } from './proxy-server.js';

const CONTROL_BIND_WAIT_MS = 100; // poll interval while the outbound interface comes up
const CONTROL_BIND_TIMEOUT_MS = 30_000; // the engine attaches the network before start; 30 s is generous
const OWN_ADDRESS_CACHE_MS = 1000; // interfaces change when paddockd connects a sandbox network

function ownAddresses(): IpAddress[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => (i ? parseIp(i.address) : null))
    .filter((a): a is IpAddress => a !== null);
}

async function controlAddress(cidr: string | undefined): Promise<string> {
  if (!cidr) return '127.0.0.1';
  const range = parseCidr(cidr);
  if (!range) throw new Error(`PADDOCK_EGRESS_CONTROL_CIDR ${cidr} is not a CIDR`);
  const deadline = Date.now() + CONTROL_BIND_TIMEOUT_MS;
  for (;;) {
    for (const i of Object.values(networkInterfaces()).flat()) {
      const a = i ? parseIp(i.address) : null;
      if (a && i && inPrefix(a, range.net, range.prefix)) return i.address;
    }
    if (Date.now() > deadline) throw new Error(`no interface in ${cidr}; is the proxy attached to its outbound network?`);
    await new Promise((r) => setTimeout(r, CONTROL_BIND_WAIT_MS));
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const token = env.PADDOCK_EGRESS_TOKEN;
  if (!token) throw new Error('PADDOCK_EGRESS_TOKEN is required');
  const hardDenyStatic = (env.PADDOCK_EGRESS_HARD_DENY ?? '')
    .split(',')
    .map((s) => parseCidr(s.trim()))
    .filter((r): r is NonNullable<typeof r> => r !== null);
  let cache: { at: number; list: Array<{ net: IpAddress; prefix: number }> } | null = null;
  const hardDeny = () => {
    if (!cache || Date.now() - cache.at > OWN_ADDRESS_CACHE_MS) {
      const own = ownAddresses().map((a) => ({ net: a, prefix: a.family === 4 ? 32 : 128 }));
      cache = { at: Date.now(), list: [...hardDenyStatic, ...own, parseCidr('127.0.0.0/8')!, parseCidr('::1/128')!] };
    }
    return cache.list;
  };
  const proxy = new EgressProxy({
    proxy: { host: '0.0.0.0', port: PROXY_PORT },
    credential: { host: '0.0.0.0', port: CREDENTIAL_PORT },
    control: { host: await controlAddress(env.PADDOCK_EGRESS_CONTROL_CIDR), port: CONTROL_PORT },
    // Port 53 as an unprivileged user: paddockd sets net.ipv4.ip_unprivileged_port_start=0 on the container.
    dns: { host: '0.0.0.0', port: Number(env.PADDOCK_EGRESS_DNS_PORT ?? DNS_PORT) },
    token,
    resolveOverride: parseResolveOverride(env.PADDOCK_EGRESS_RESOLVE_OVERRIDE),
    testHooks: env.PADDOCK_EGRESS_TEST_HOOKS === '1',
    ...(env.PADDOCK_EGRESS_EXTRA_CA_PEM ? { extraCaPem: env.PADDOCK_EGRESS_EXTRA_CA_PEM } : {}),
    hardDeny,
    print: (line) => process.stdout.write(line + '\n'),
  });
  await proxy.start();
  process.stdout.write(JSON.stringify({ event: 'ready', bootId: proxy.bootId, ports: proxy.ports() }) + '\n');
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`paddock-egress: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
