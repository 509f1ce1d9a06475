/**
 * `paddock doctor [--json] [--no-probe]`: the engine, its runtimes, cgroups, user namespaces,
 * rootless mode, /dev/kvm, and what each isolation tier gives here — with the fix for anything
 * missing. Exits 1 when a check fails (no engine, no seccomp), so scripts can gate on it.
 */
import type { Command } from 'commander';
import type { DoctorReport } from '../../api/doctor-routes.js';
import type { DaemonStatus } from '../../core/protocol.js';
import type { DaemonClient } from '../client.js';

type ClientFactory = () => Promise<Pick<DaemonClient, 'request'>>;

const MARK: Record<string, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', info: 'note' };

export function formatDoctor(r: DoctorReport, status: DaemonStatus | null): string {
  const out: string[] = [];
  if (status) out.push(`paddockd ${status.version} (protocol ${status.protocolVersion}, pid ${status.pid})  ${status.url}`);
  if (r.engine) {
    const e = r.engine;
    out.push(`Engine   Docker ${e.version}, API ${e.apiVersion}`);
    out.push(`Host     ${e.os}, kernel ${e.kernel}`);
    out.push(`Runtimes ${e.runtimes.join(', ')} (default ${e.defaultRuntime})`);
    out.push(`cgroups v${e.cgroupVersion || '?'}   userns-remap ${e.userns ? 'on' : 'off'}   rootless ${e.rootless ? 'yes' : 'no'}   /dev/kvm ${r.host.kvm ? 'present' : 'absent'}`);
  } else {
    out.push(`Engine   not reachable: ${r.engineError ?? 'unknown error'}`);
  }
  out.push('', 'CHECKS');
  for (const c of r.checks) {
    out.push(`  ${MARK[c.status] ?? c.status}  ${c.name.padEnd(16)} ${c.detail}`);
    // multi-line fixes (commands to run) are indented under the first line
    if (c.fix && c.status !== 'ok') out.push(`  ${' '.repeat(4)}  ${' '.repeat(16)} fix: ${c.fix.split('\n').map((l) => l.trim()).filter(Boolean).join(`\n${' '.repeat(29)}`)}`);
  }
  out.push('', 'ISOLATION TIERS');
  for (const t of r.tiers) {
    const state = !t.available ? 'unavailable' : t.works === false ? 'BROKEN' : t.works ? 'works' : 'available';
    const probe = r.probes.find((p) => p.runtime === t.runtime);
    out.push(`  ${t.isolation.padEnd(9)} ${state.padEnd(11)} ${t.runtime ? `runtime ${t.runtime}` : ''}${probe?.ok ? ` (probe container ran in ${probe.ms} ms)` : ''}`);
    out.push(`            gives: ${t.gives}`);
    if (t.reason) out.push(`            why not: ${t.reason}`);
    if (t.fix) out.push(`            fix: ${t.fix}`);
  }
  return out.join('\n') + '\n';
}

export function register(program: Command, client: ClientFactory): void {
  program
    .command('doctor')
    .description('what this machine gives each isolation tier, and how to fix what is missing')
    .option('--json', 'machine-readable output')
    .option('--no-probe', 'do not start a probe container under each extra runtime')
    .action(async (o: { json?: boolean; probe?: boolean }) => {
      const c = await client();
      const report = await c.request<DoctorReport>('GET', `/doctor${o.probe === false ? '?probe=false' : ''}`);
      const status = await c.request<DaemonStatus>('GET', '/status').catch(() => null);
      process.stdout.write(o.json ? JSON.stringify({ status, ...report }, null, 2) + '\n' : formatDoctor(report, status));
      if (report.checks.some((x) => x.status === 'fail')) process.exitCode = 1;
    });
}
