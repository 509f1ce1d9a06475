/**
 * `paddock network show <name> [--json]`
 * `paddock network log <name> [--follow] [-n N] [--json]`
 * `paddock network allow|deny <name> <rule…>`   rules: host, *.host, host:port, IP, CIDR, @group
 * `paddock network rm <name> <rule…>`
 * `paddock network mode <name> none|allowlist|open`
 */
import { Argument, type Command } from 'commander';
import type { NetworkDecision, NetworkInfo } from '../../core/network-protocol.js';
import { formatBytes } from '../../core/sizes.js';
import type { DaemonClient } from '../client.js';

type ClientFactory = () => Promise<Pick<DaemonClient, 'request' | 'stream'>>;

const TOP_HOSTS_SHOWN = 10; // `show` lists the busiest hosts; --json has all of them

function path(name: string, rest = ''): string {
  return `/sandboxes/${encodeURIComponent(name)}/network${rest}`;
}

export function formatDecision(d: NetworkDecision): string {
  const time = d.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const verdict = d.allowed ? 'ALLOW' : 'DENY ';
  const target = `${d.host}:${d.port}`;
  const bytes = d.allowed ? `${formatBytes(d.bytesUp)} up ${formatBytes(d.bytesDown)} down` : '';
  const why = d.rule ? `rule ${d.rule}` : d.reason;
  return [time, verdict, d.method.padEnd(7), target.padEnd(40), bytes.padEnd(24), why].join('  ').trimEnd();
}

export function formatShow(n: NetworkInfo): string {
  const out: string[] = [];
  out.push(`Sandbox ${n.name}: network mode ${n.mode}${n.proxy.running ? '' : '  (egress proxy NOT answering: no traffic leaves)'}`);
  out.push(`Proxy ${n.proxy.httpProxy}   credentials ${n.proxy.credentialBase}`);
  out.push('');
  if (n.rules.length === 0) out.push(n.mode === 'open' ? 'No rules: everything public is allowed (mode open).' : 'No rules: nothing is allowed.');
  else {
    out.push('RULES');
    for (const r of n.rules) out.push(`  ${r.action.padEnd(5)}  ${r.rule.padEnd(44)}  ${r.source}`);
  }
  out.push('');
  const c = n.counters;
  out.push(`Decisions: ${c.allowed} allowed, ${c.denied} denied; ${formatBytes(c.bytesUp)} sent, ${formatBytes(c.bytesDown)} received`);
  const hosts = Object.entries(c.hosts).sort(([, a], [, b]) => b.allowed + b.denied - (a.allowed + a.denied)).slice(0, TOP_HOSTS_SHOWN);
  for (const [h, v] of hosts) out.push(`  ${h.padEnd(44)}  ${String(v.allowed).padStart(6)} allowed  ${String(v.denied).padStart(6)} denied  ${formatBytes(v.bytes)}`);
  out.push('');
  out.push(`Agent preset: ${n.presets.agent.join(', ') || '(none)'}`);
  out.push(`Host groups: ${Object.entries(n.presets.groups).map(([g, hs]) => `@${g} (${hs.join(', ')})`).join('; ')}`);
  out.push(`Change: paddock network allow|deny|rm ${n.name} <host|*.host|host:port|IP|CIDR|@group>`);
  return out.join('\n') + '\n';
}

export function register(program: Command, client: ClientFactory): void {
  const network = program.command('network').description("a sandbox's network: mode, allow/deny rules, and what it reached");

  network
    .command('show <name>')
    .description('mode, rules, presets and counters')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { json?: boolean }) => {
      const n = await (await client()).request<NetworkInfo>('GET', path(name));
      process.stdout.write(o.json ? JSON.stringify(n, null, 2) + '\n' : formatShow(n));
    });

  network
    .command('log <name>')
    .description('every request the egress proxy allowed or denied')
    .option('-f, --follow', 'keep printing decisions as they happen')
    .option('-n, --limit <n>', 'how many recent decisions (default 200)')
    .option('--json', 'one JSON decision per line')
    .action(async (name: string, o: { follow?: boolean; limit?: string; json?: boolean }) => {
      const c = await client();
      const print = (d: NetworkDecision): void => void process.stdout.write((o.json ? JSON.stringify(d) : formatDecision(d)) + '\n');
      const q = o.limit ? `?limit=${encodeURIComponent(o.limit)}` : '';
      if (!o.follow) {
        const list = await c.request<NetworkDecision[]>('GET', path(name, `/log${q}`));
        if (!list.length && !o.json) process.stdout.write(`No requests from ${name} yet.\n`);
        list.forEach(print);
        return;
      }
      await c.request<NetworkInfo>('GET', path(name)); // a clear error for an unknown sandbox before streaming
      await new Promise<void>((done) => {
        const stop = c.stream(path(name, `/log?follow=1${o.limit ? `&limit=${encodeURIComponent(o.limit)}` : ''}`), (line) => {
          if (!line.startsWith('data: ')) return; // SSE comments and separators
          try {
            print(JSON.parse(line.slice(6)) as NetworkDecision);
          } catch {
            // a line we cannot read is skipped
          }
        }, done);
        process.once('SIGINT', () => {
          stop();
          done();
        });
      });
    });

  for (const action of ['allow', 'deny'] as const) {
    network
      .command(`${action} <name> <rules...>`)
      .description(`${action} hosts for a running sandbox at once: host, *.host (subdomains only), host:port, IP, CIDR, or @npm/@pypi/@github/@debian`)
      .action(async (name: string, rules: string[]) => {
        const c = await client();
        for (const rule of rules) await c.request<NetworkInfo>('POST', path(name, '/rules'), { action, rule });
        process.stdout.write(`${action === 'allow' ? 'Allowed' : 'Denied'} for ${name}: ${rules.join(', ')} (in effect now).\n`);
      });
  }

  network
    .command('rm <name> <rules...>')
    .description('remove rules (a removed allow rule means the host is denied again)')
    .action(async (name: string, rules: string[]) => {
      const c = await client();
      for (const rule of rules) await c.request<NetworkInfo>('DELETE', path(name, `/rules?rule=${encodeURIComponent(rule)}`));
      process.stdout.write(`Removed from ${name}: ${rules.join(', ')} (in effect now).\n`);
    });

  network
    .command('mode <name>')
    .addArgument(new Argument('<mode>', 'none | allowlist | open').choices(['none', 'allowlist', 'open']))
    .description('none: no network at all; allowlist: only allowed hosts, through the proxy; open: direct access to anything')
    .action(async (name: string, mode: string) => {
      const n = await (await client()).request<NetworkInfo>('PUT', path(name, '/mode'), { mode });
      process.stdout.write(`Sandbox ${name} is now in network mode ${n.mode} (no restart needed).\n`);
    });
}
