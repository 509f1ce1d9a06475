/**
 * `paddock` — the command-line client of paddockd. Errors print one line saying what to do and
 * exit non-zero (codes in core/errors.ts).
 */
import { Command, Option } from 'commander';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode, PaddockError, exitCodeFor } from '../core/errors.js';
import type { AgentInfo, CreateSandboxRequest, ExecResult, Mount, PaddockEvent, SandboxInfo } from '../core/protocol.js';
import { formatBytes, parseCpus, parseMemory, parsePids } from '../core/sizes.js';
import { PADDOCK_VERSION } from '../daemon/version.js';
import { DEFAULT_DETACH_KEYS, attach } from './attach.js';
import { DaemonClient, ensureDaemon } from './client.js';
import { registerPluginCommands } from './plugin.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerNetwork } from './commands/network.js';
import { parseSecretFlags, register as registerSecret } from './commands/secret.js';
import { register as registerPolicy } from './commands/policy.js';

const RUN_SCROLLBACK_LINES = 10_000; // `run` shows everything the agent printed since it started
const ATTACH_SCROLLBACK_LINES = 200; // `attach` shows recent context; `paddock logs` has the rest

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) {
      const fromHost = process.env[p];
      if (eq < 0 && fromHost !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) {
        env[p] = fromHost; // `-e NAME` passes the host's value, like docker run
        continue;
      }
      throw new PaddockError(ErrorCode.BadInput, `Cannot read -e "${p}". Use -e NAME=value (or -e NAME to pass a variable set in your shell).`);
    }
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new PaddockError(ErrorCode.BadInput, `${file}:${i + 1}: expected NAME=value, got "${line.slice(0, 40)}". Fix that line.`);
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    env[m[1]!] = v;
  });
  return env;
}

export function parseMountSpec(spec: string): Mount {
  const ro = spec.endsWith(':ro');
  const rw = spec.endsWith(':rw');
  const path = ro || rw ? spec.slice(0, -3) : spec;
  if (!path) throw new PaddockError(ErrorCode.BadInput, `Cannot read --mount "${spec}". Use --mount /abs/path or --mount /abs/path:ro.`);
  return { source: resolve(path), readOnly: ro };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const client = async (): Promise<DaemonClient> => {
  const c = new DaemonClient();
  await ensureDaemon(c);
  return c;
};

export function buildProgram(rest: string[]): Command {
  const program = new Command('paddock')
    .description('Run AI coding agents in isolated local sandboxes that mirror your workspace.')
    .version(PADDOCK_VERSION, '-v, --version')
    .showHelpAfterError('(run `paddock --help` for usage)')
    .configureOutput({ outputError: (str, write) => write(`paddock: ${str.replace(/^error: /, '')}`) });

  program
    .command('run')
    .description('run an agent in a sandbox for a workspace (default: the current directory), reusing its sandbox')
    .argument('<agent>', 'claude, gemini, codex, opencode, shell, or a custom agent')
    .argument('[workspace]', 'project folder', '.')
    .option('--name <name>', 'sandbox name (default <agent>-<folder>)')
    .option('-d, --detach', 'start it and return without attaching')
    .addOption(new Option('--network <mode>', 'network mode').choices(['none', 'allowlist', 'open']))
    .addOption(new Option('--isolation <level>', 'isolation level').choices(['container', 'gvisor', 'microvm']))
    .option('--mount <path[:ro]>', 'extra folder at the same path (repeatable)', collect, [])
    .option('--cpus <n>', 'CPU limit, e.g. 2 or 0.5')
    .option('--memory <size>', 'memory limit, e.g. 4g')
    .option('--pids <n>', 'process limit, e.g. 1024')
    .option('-e, --env <NAME=value>', 'environment variable for the agent (repeatable)', collect, [])
    .option('--env-file <file>', 'read NAME=value lines from a file')
    .option('--allow-host <host>', 'extra allowed host in allowlist mode (repeatable)', collect, [])
    .option('--secret <NAME[:proxy|file|env]>', 'attach a stored secret (repeatable; see paddock secret)', collect, [])
    .option('--no-autonomy', "start the agent in its normal (asking) mode instead of its autonomous mode")
    .option('--detach-keys <keys>', 'key sequence that detaches', DEFAULT_DETACH_KEYS)
    .option('--new', 'always create a new sandbox instead of reusing the existing one')
    .action(async (agent: string, workspace: string, o: Record<string, unknown>) => {
      const env = { ...(o.envFile ? parseEnvFile(readFileSync(o.envFile as string, 'utf8'), o.envFile as string) : {}), ...parseEnvPairs(o.env as string[]) };
      const req: CreateSandboxRequest = {
        agent,
        workspace: resolve(workspace),
        ...(o.name ? { name: o.name as string } : {}),
        ...(o.network ? { network: o.network as 'none' } : {}),
        ...(o.isolation ? { isolation: o.isolation as 'container' } : {}),
        mounts: (o.mount as string[]).map(parseMountSpec),
        ...(o.cpus !== undefined ? { cpus: parseCpus(o.cpus as string) } : {}),
        ...(o.memory !== undefined ? { memory: (parseMemory(o.memory as string), o.memory as string) } : {}),
        ...(o.pids !== undefined ? { pids: parsePids(o.pids as string) } : {}),
        env,
        agentArgs: rest,
        cols: process.stdout.columns || 80,
        rows: process.stdout.rows || 24,
        autonomy: o.autonomy as boolean,
        ...((o.secret as string[]).length ? { secrets: parseSecretFlags(o.secret as string[]) } : {}),
        ...(o.new ? { reuse: false } : {}),
      };
      const c = await client();
      if ((o.allowHost as string[]).length) {
        const agents = await c.request<AgentInfo[]>('GET', '/agents');
        const preset = agents.find((a) => a.name === agent)?.hosts ?? [];
        req.allowHosts = [...preset, ...(o.allowHost as string[])];
      }
      const stopProgress = followImageProgress(c, agent);
      let s: SandboxInfo;
      try {
        s = await c.request<SandboxInfo>('POST', '/sandboxes', req);
      } finally {
        stopProgress();
      }
      if (o.detach) {
        process.stdout.write(`${s.name}\n`);
        return;
      }
      const r = await attach(c, s.name, 'agent', { detachKeys: o.detachKeys as string, scrollback: RUN_SCROLLBACK_LINES });
      finishAttach(r, s.name);
    });

  program
    .command('attach')
    .description('attach your terminal to a sandbox session (detach with Ctrl-P Ctrl-Q)')
    .argument('<name>')
    .option('--session <id>', 'session id (agent, shell-1, …)', 'agent')
    .option('--detach-keys <keys>', 'key sequence that detaches', DEFAULT_DETACH_KEYS)
    .action(async (name: string, o: { session: string; detachKeys: string }) => {
      const r = await attach(await client(), name, o.session, { detachKeys: o.detachKeys, scrollback: ATTACH_SCROLLBACK_LINES });
      finishAttach(r, name);
    });

  program
    .command('shell')
    .description('open a new shell session in a running sandbox and attach to it')
    .argument('<name>')
    .option('--detach-keys <keys>', 'key sequence that detaches', DEFAULT_DETACH_KEYS)
    .action(async (name: string, o: { detachKeys: string }) => {
      const c = await client();
      const sess = await c.request<{ id: string }>('POST', `/sandboxes/${encodeURIComponent(name)}/sessions`);
      const r = await attach(c, name, sess.id, { detachKeys: o.detachKeys, scrollback: ATTACH_SCROLLBACK_LINES });
      finishAttach(r, name);
    });

  program
    .command('logs')
    .description("print a session's scrollback")
    .argument('<name>')
    .option('--tail <n>', 'last N lines', '10000')
    .option('--session <id>', 'session id', 'agent')
    .action(async (name: string, o: { tail: string; session: string }) => {
      const n = Number(o.tail);
      if (!Number.isInteger(n) || n < 1) throw new PaddockError(ErrorCode.BadInput, `--tail needs a whole number ≥ 1, got "${o.tail}".`);
      const text = await (await client()).request<string>('GET', `/sandboxes/${encodeURIComponent(name)}/logs?session=${encodeURIComponent(o.session)}&tail=${Math.min(n, 10000)}`);
      process.stdout.write(text);
    });

  program
    .command('ls')
    .description('list sandboxes')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const list = await (await client()).request<SandboxInfo[]>('GET', '/sandboxes');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      if (!list.length) return void process.stdout.write('No sandboxes yet. Start one with `paddock run <agent> [folder]`.\n');
      process.stdout.write(
        table([
          ['NAME', 'AGENT', 'STATE', 'ISOLATION', 'NETWORK', 'CPUS', 'MEMORY', 'WORKSPACE'],
          ...list.map((s) => [s.name, s.agent, s.state, s.isolation, s.network, String(s.resources.cpus), formatBytes(s.resources.memoryBytes), s.workspace]),
        ]) + '\n',
      );
    });

  for (const verb of ['start', 'stop'] as const) {
    program
      .command(verb)
      .description(`${verb} sandboxes`)
      .argument('<names...>')
      .action(async (names: string[]) => {
        const c = await client();
        for (const n of names) {
          await c.request('POST', `/sandboxes/${encodeURIComponent(n)}/${verb}`);
          process.stdout.write(`${n}\n`);
        }
      });
  }

  program
    .command('restart')
    .description("restart a sandbox's agent (the sandbox keeps running)")
    .argument('<name>')
    .action(async (name: string) => {
      await (await client()).request('POST', `/sandboxes/${encodeURIComponent(name)}/restart-agent`);
      process.stdout.write(`${name}\n`);
    });

  program
    .command('rm')
    .description('remove sandboxes and everything they own (container, network, home volume)')
    .argument('<names...>')
    .option('-f, --force', 'stop running sandboxes first')
    .action(async (names: string[], o: { force?: boolean }) => {
      const c = await client();
      for (const n of names) {
        await c.request('DELETE', `/sandboxes/${encodeURIComponent(n)}${o.force ? '?force=true' : ''}`);
        process.stdout.write(`${n}\n`);
      }
    });

  program
    .command('exec')
    .description('run a command in a sandbox; its exit code is passed through')
    .argument('<name>')
    .option('--root', 'run as root instead of the agent user')
    .action(async (name: string, o: { root?: boolean }) => {
      if (!rest.length) throw new PaddockError(ErrorCode.BadInput, 'Give the command after --, e.g. paddock exec my-sandbox -- ls -la');
      const r = await (await client()).request<ExecResult>('POST', `/sandboxes/${encodeURIComponent(name)}/exec`, { cmd: rest, root: Boolean(o.root) });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });

  program
    .command('inspect')
    .description('show a sandbox as JSON')
    .argument('<name>')
    .action(async (name: string) => {
      const s = await (await client()).request<SandboxInfo>('GET', `/sandboxes/${encodeURIComponent(name)}`);
      process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    });

  program
    .command('agents')
    .description('list the agent catalog and image state')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const list = await (await client()).request<AgentInfo[]>('GET', '/agents');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(table([['NAME', 'IMAGE', 'DESCRIPTION'], ...list.map((a) => [a.name + (a.custom ? ' (custom)' : ''), a.imageState, a.description])]) + '\n');
    });

  program
    .command('build')
    .description("build agents' images now (they are otherwise built on first use)")
    .argument('[agents...]', 'agent names (default: all built-in agents)')
    .action(async (names: string[]) => {
      const c = await client();
      const catalog = await c.request<AgentInfo[]>('GET', '/agents');
      const targets = names.length ? names : catalog.filter((a) => !a.custom).map((a) => a.name);
      for (const n of targets) {
        if (!catalog.some((a) => a.name === n)) throw new PaddockError(ErrorCode.NotFound, `Unknown agent "${n}". Known agents: ${catalog.map((a) => a.name).join(', ')}.`);
      }
      for (const n of targets) {
        process.stderr.write(`building ${n}…\n`);
        await new Promise<void>((resolveBuild, rejectBuild) => {
          const stop = c.stream('/events', (line) => {
            if (!line.startsWith('data: ')) return;
            const e = JSON.parse(line.slice(6)) as PaddockEvent;
            if (e.type !== 'image' || e.agent !== n) return;
            if (e.progress && e.state === 'building') process.stderr.write(`  ${e.progress}\n`);
            if (e.state === 'ready') { stop(); resolveBuild(); }
            if (e.state === 'failed') { stop(); rejectBuild(new PaddockError(ErrorCode.ImageBuildFailed, e.progress ?? `building ${n} failed`)); }
          }, () => rejectBuild(new PaddockError(ErrorCode.Internal, 'lost the connection to paddockd during the build')));
          // subscribe first, then ask for the build, so no event is missed
          setTimeout(() => void c.request('POST', `/agents/${encodeURIComponent(n)}/build`).catch((err: unknown) => { stop(); rejectBuild(err); }), 100);
        });
        process.stdout.write(`${n}: ready\n`);
      }
    });

  const daemon = program.command('daemon').description('manage paddockd');
  daemon
    .command('start')
    .description('start paddockd in the background')
    .action(async () => {
      const st = await ensureDaemon(new DaemonClient());
      process.stdout.write(`paddockd running (pid ${st.pid}) on ${st.socketPath} and ${st.url}\n`);
    });
  daemon
    .command('stop')
    .description('stop paddockd (sandboxes keep running)')
    .action(async () => {
      const c = new DaemonClient();
      const st = await c.status();
      if (!st) return void process.stdout.write('paddockd is not running\n');
      process.kill(st.pid, 'SIGTERM');
      for (let i = 0; i < 100 && (await c.status()); i++) await new Promise((r) => setTimeout(r, 100));
      process.stdout.write('paddockd stopped\n');
    });
  daemon
    .command('status')
    .description('is paddockd running?')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const c = new DaemonClient();
      const st = await c.status({ engine: true });
      if (o.json) {
        process.stdout.write(JSON.stringify(st ? { running: true, ...st } : { running: false, socketPath: c.paths.socketPath }, null, 2) + '\n');
      } else if (st) {
        process.stdout.write(`paddockd ${st.version} running (pid ${st.pid})\n  socket: ${st.socketPath}\n  url:    ${st.url}\n  engine: ${st.engine ? `Docker ${st.engine.version}` : 'not answering'}\n`);
      } else process.stdout.write('paddockd is not running. Start it with `paddock daemon start`.\n');
      if (!st) process.exitCode = 1;
    });

  program
    .command('dashboard')
    .description('print (and open) a one-time login link to the dashboard')
    .option('--no-open', 'do not open a browser')
    .option('--json', 'machine-readable output')
    .action(async (o: { open: boolean; json?: boolean }) => {
      const { url } = await (await client()).request<{ url: string }>('POST', '/login-tokens');
      if (o.json) process.stdout.write(JSON.stringify({ url }) + '\n');
      else process.stdout.write(`Paddock dashboard: ${url}\n(one-time link; run \`paddock dashboard\` again for a new one)\n`);
      if (o.open && process.env.DISPLAY && spawnSync('which', ['xdg-open']).status === 0) {
        spawn('xdg-open', [url], { detached: true, stdio: 'ignore' }).unref();
      }
    });

  program
    .command('version')
    .description('print versions of paddock, paddockd and the engine')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const st = await new DaemonClient().status({ engine: true });
      const v = { paddock: PADDOCK_VERSION, paddockd: st?.version ?? null, protocol: st?.protocolVersion ?? null, engine: st?.engine?.version ?? null };
      if (o.json) process.stdout.write(JSON.stringify(v) + '\n');
      else process.stdout.write(`paddock ${v.paddock}\npaddockd ${v.paddockd ?? '(not running)'}\nengine ${v.engine ?? '(unknown)'}\n`);
    });

  registerPluginCommands(program);
  registerPolicy(program, client);
  registerAudit(program, client);
  registerSecret(program, client);
  registerNetwork(program, client);
  registerDoctor(program, client);
  return program;
}

function followImageProgress(c: DaemonClient, agent: string): () => void {
  return c.stream('/events', (line) => {
    if (!line.startsWith('data: ')) return;
    try {
      const e = JSON.parse(line.slice(6)) as PaddockEvent;
      if (e.type === 'image' && e.agent === agent && e.progress) process.stderr.write(`  ${e.progress}\n`);
    } catch {
      // not ours
    }
  });
}

function finishAttach(r: { reason: string; exitCode: number | null }, name: string): void {
  if (r.reason === 'detached') process.stderr.write(`\r\ndetached from ${name}; it keeps running. Re-attach with: paddock attach ${name}\r\n`);
  if (r.reason === 'exit') process.exitCode = r.exitCode ?? 1;
}

export async function run(argv: string[]): Promise<void> {
  const dd = argv.indexOf('--');
  const head = dd >= 0 ? argv.slice(0, dd) : argv;
  const rest = dd >= 0 ? argv.slice(dd + 1) : [];
  const program = buildProgram(rest);
  try {
    await program.parseAsync(head, { from: 'user' });
  } catch (err) {
    const pe = err instanceof PaddockError ? err : null;
    process.stderr.write(`paddock: ${pe ? pe.message : (err as Error)?.message ?? String(err)}\n`);
    process.exitCode = pe ? exitCodeFor(pe.code) : 1;
  }
}
