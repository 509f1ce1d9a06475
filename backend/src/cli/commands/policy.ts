/**
 * `paddock policy show [--json]` — the effective policy and the file each value came from.
 * `paddock policy check <agent> [workspace] [...run options]` — would `paddock run` be allowed?
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, exitCodeFor } from '../../core/errors.js';
import type { PolicyCheckResult, PolicyFileError, PolicyView, Violation } from '../../core/policy-protocol.js';
import type { CreateSandboxRequest, Isolation, Mount, NetworkMode } from '../../core/protocol.js';
import { parseCpus, parseMemory, parsePids } from '../../core/sizes.js';
import type { DaemonClient } from '../client.js';

type ClientFactory = () => Promise<Pick<DaemonClient, 'request'>>;

function show(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(', ') : '(none)';
  return String(v);
}

function fileError(e: PolicyFileError): string {
  return `${e.file}${e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : ''}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

export function formatPolicyView(v: PolicyView): string {
  const out: string[] = [];
  out.push(`User policy:         ${v.files.user.path}${v.files.user.present ? '' : ' (not present)'}`);
  out.push(`Organization policy: ${v.files.org ? `${v.files.org.path}${v.files.org.present ? '' : ' (MISSING)'}` : '(none; set PADDOCK_ORG_POLICY)'}`);
  if (v.errors.length) {
    out.push('', 'Errors (no sandbox can be created until they are fixed):');
    for (const e of v.errors) out.push(`  ${fileError(e)}`);
  }
  out.push('');
  const rules = v.rules.filter((r) => r.rule !== 'onViolation');
  if (!rules.length) out.push('No rules: everything Paddock itself allows is allowed.');
  else {
    const rows = [['RULE', 'VALUE', 'FROM'], ...rules.map((r) => [r.rule, show(r.value), r.source])];
    out.push(table(rows));
  }
  const onv = v.rules.find((r) => r.rule === 'onViolation');
  out.push('', `Running sandboxes that break a changed policy are ${v.onViolation === 'stop' ? 'stopped' : 'flagged'} (onViolation: ${v.onViolation}, from ${onv?.source ?? 'built-in'}).`);
  if (v.flagged.length) {
    out.push('', 'Flagged sandboxes:');
    for (const f of v.flagged) for (const x of f.violations) out.push(`  ${f.sandbox}: [${x.rule}] ${x.message}`);
  }
  return out.join('\n') + '\n';
}

export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `  - ${v.rule} (${v.source})\n    ${v.message}`).join('\n');
}

export function formatCheck(r: PolicyCheckResult): string {
  if (r.allowed) return 'Allowed: the policy permits this sandbox.\n';
  return `Refused by policy:\n${formatViolations(r.violations)}\n`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

interface CheckOptions {
  isolation?: Isolation;
  network?: NetworkMode;
  cpus?: string;
  memory?: string;
  pids?: string;
  allowHost: string[];
  mount: string[];
  json?: boolean;
}

/** Build the same request `paddock run` would send, from the same flags. */
export function checkRequest(agent: string, workspace: string | undefined, o: CheckOptions, cwd = process.cwd()): CreateSandboxRequest {
  const mounts: Mount[] = o.mount.map((m) => {
    const ro = m.endsWith(':ro');
    const path = ro || m.endsWith(':rw') ? m.slice(0, -3) : m;
    return { source: resolve(cwd, path), readOnly: ro };
  });
  return {
    agent,
    workspace: resolve(cwd, workspace ?? '.'),
    ...(o.isolation ? { isolation: o.isolation } : {}),
    ...(o.network ? { network: o.network } : {}),
    ...(o.cpus !== undefined ? { cpus: parseCpus(o.cpus) } : {}),
    ...(o.memory !== undefined ? { memory: parseMemory(o.memory) } : {}),
    ...(o.pids !== undefined ? { pids: parsePids(o.pids) } : {}),
    ...(o.allowHost.length ? { allowHosts: o.allowHost } : {}),
    ...(mounts.length ? { mounts } : {}),
  };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command, client: ClientFactory): void {
  const policy = program.command('policy').description('show the policy in force, or dry-run a sandbox against it');

  policy
    .command('show')
    .description('the effective policy and the file each value came from')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const view = await (await client()).request<PolicyView>('GET', '/policy');
      process.stdout.write(o.json ? JSON.stringify(view, null, 2) + '\n' : formatPolicyView(view));
    });

  policy
    .command('check <agent> [workspace]')
    .description('would `paddock run` with these options be allowed? (nothing is created)')
    .option('--isolation <level>', 'container, gvisor or microvm')
    .option('--network <mode>', 'none, allowlist or open')
    .option('--cpus <n>', 'CPU limit, e.g. 2')
    .option('--memory <size>', 'memory limit, e.g. 4g')
    .option('--pids <n>', 'process limit')
    .option('--allow-host <host>', 'host to allow (repeatable; replaces the agent preset, like run)', collect, [])
    .option('--mount <path[:ro]>', 'extra mount (repeatable)', collect, [])
    .option('--json', 'machine-readable output')
    .action(async (agent: string, workspace: string | undefined, o: CheckOptions) => {
      const req = checkRequest(agent, workspace, o);
      const result = await (await client()).request<PolicyCheckResult>('POST', '/policy/check', req);
      process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : formatCheck(result));
      if (!result.allowed) process.exitCode = exitCodeFor(ErrorCode.PolicyDenied);
    });
}
