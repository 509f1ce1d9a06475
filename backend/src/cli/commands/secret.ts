/**
 * `paddock secret …`: set, ls, rm, attach, share-login. A value never appears on the command
 * line (it would land in shell history and in `ps`): it comes from stdin, from a named
 * environment variable, or from a hidden prompt.
 */
import type { Command } from 'commander';
import { ErrorCode, PaddockError } from '../../core/errors.js';
import {
  ENV_MODE_WARNING, parseSecretFlag, PutSecretRequest, SECRET_NAME_HINT, SECRET_NAME_RE, SCOPE_HINT, parseScope,
  type PutSecretResult, type SandboxSecretsResult, type SecretAttachment, type SecretInfo,
} from '../../core/secrets-protocol.js';
import type { DaemonClient } from '../client.js';

export interface SecretIo {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

const defaultIo = (): SecretIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });

/** `--secret` values for `paddock run` (repeatable): parsed, with the env-mode warning printed once. */
export function parseSecretFlags(flags: readonly string[], stderr: { write(s: string): unknown } = process.stderr): SecretAttachment[] {
  const list: SecretAttachment[] = [];
  for (const f of flags) {
    try {
      list.push(parseSecretFlag(f));
    } catch (err) {
      throw new PaddockError(ErrorCode.BadInput, (err as Error).message);
    }
  }
  const names = list.map((a) => a.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new PaddockError(ErrorCode.BadInput, `--secret ${dup} is given twice; attach each secret once.`);
  const env = list.filter((a) => a.mode === 'env').map((a) => a.name);
  if (env.length) stderr.write(`paddock: warning: ${env.join(', ')}: ${ENV_MODE_WARNING}\n`);
  return list;
}

function assertName(name: string): void {
  if (!SECRET_NAME_RE.test(name)) throw new PaddockError(ErrorCode.BadInput, `"${name}" is not a valid secret name: ${SECRET_NAME_HINT}.`);
}

function assertScope(scope: string): void {
  if (!parseScope(scope)) throw new PaddockError(ErrorCode.BadInput, `"${scope}" is not a valid scope: ${SCOPE_HINT}.`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from a terminal without echoing it. */
function promptHidden(io: SecretIo, label: string): Promise<string> {
  const tty = io.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    io.stderr.write(label);
    let value = '';
    tty.setRawMode(true);
    tty.resume();
    tty.setEncoding('utf8');
    const done = (err?: Error) => {
      tty.setRawMode(false);
      tty.pause();
      tty.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new PaddockError(ErrorCode.BadInput, 'Cancelled; nothing was stored.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    tty.on('data', onData);
  });
}

/** The value from --from-env, --stdin (or piped input), or a hidden prompt; one trailing newline dropped. */
export async function readSecretValue(o: { fromEnv?: string; stdin?: boolean }, io: SecretIo, name: string): Promise<string> {
  if (o.fromEnv && o.stdin) throw new PaddockError(ErrorCode.BadInput, 'Give either --from-env or --stdin, not both.');
  let value: string;
  if (o.fromEnv) {
    const v = io.env[o.fromEnv];
    if (v === undefined) throw new PaddockError(ErrorCode.BadInput, `Environment variable ${o.fromEnv} is not set in this shell. Export it first, or use --stdin.`);
    value = v;
  } else if (o.stdin || !(io.stdin as NodeJS.ReadStream).isTTY) {
    value = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  } else {
    value = await promptHidden(io, `Value for ${name} (input hidden): `);
  }
  const parsed = PutSecretRequest.safeParse({ value });
  if (!parsed.success) throw new PaddockError(ErrorCode.BadInput, `Not stored: ${parsed.error.issues[0]?.message ?? 'bad value'}.`);
  return value;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function describeAttachment(a: SecretAttachment): string {
  if (a.mode !== 'proxy') return `${a.name}:${a.mode}`;
  if (a.host) return `${a.name}:proxy=${a.host}${a.header ? `,${a.header}` : ''}`;
  return `${a.name}:proxy${a.provider ? `=${a.provider}` : ''}`;
}

export function register(program: Command, client: () => Promise<DaemonClient>, io: SecretIo = defaultIo()): void {
  const secret = program.command('secret').description('encrypted secrets for sandboxes (values are never shown)');

  secret
    .command('set')
    .description('store or rotate a secret; running sandboxes that use it get the new value')
    .argument('<name>', 'upper-case name, e.g. ANTHROPIC_API_KEY')
    .option('--from-env <var>', 'read the value from this environment variable')
    .option('--stdin', 'read the value from standard input (one trailing newline is dropped)')
    .option('--scope <scope>', 'global, agent:<agent> or sandbox:<sandbox>', 'global')
    .option('--json', 'machine-readable output')
    .allowExcessArguments(true)
    .action(async (name: string, o: { fromEnv?: string; stdin?: boolean; scope: string; json?: boolean }, cmd: Command) => {
      if (cmd.args.length > 1) {
        throw new PaddockError(ErrorCode.BadInput,
          'Paddock never takes a secret value on the command line (it would stay in your shell history and be visible in `ps`). Use --stdin, --from-env VAR, or run without either to type it hidden.');
      }
      assertName(name);
      assertScope(o.scope);
      const value = await readSecretValue(o, io, name);
      const res = await (await client()).request<PutSecretResult>('PUT', `/secrets/${name}`, { value, scope: o.scope });
      if (o.json) {
        io.stdout.write(JSON.stringify(res) + '\n');
        return;
      }
      io.stdout.write(`stored ${name} (${res.secret.scope})\n`);
      if (res.rotated.length) io.stdout.write(`updated in running sandboxes: ${res.rotated.join(', ')}\n`);
      if (res.recreateRequired.length) io.stdout.write(`uses env mode, recreate to apply: ${res.recreateRequired.join(', ')}\n`);
    });

  secret
    .command('ls')
    .description('list secrets: names, scopes and when they changed (never values)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const list = await (await client()).request<SecretInfo[]>('GET', '/secrets');
      if (o.json) {
        io.stdout.write(JSON.stringify(list) + '\n');
        return;
      }
      if (!list.length) {
        io.stdout.write('no secrets yet; add one with: paddock secret set NAME --stdin\n');
        return;
      }
      io.stdout.write(table([['NAME', 'SCOPE', 'UPDATED'], ...list.map((s) => [s.name, s.scope, s.updatedAt])]) + '\n');
    });

  secret
    .command('rm')
    .description('delete a secret from one scope; running sandboxes lose it at once')
    .argument('<name>')
    .option('--scope <scope>', 'global, agent:<agent> or sandbox:<sandbox>', 'global')
    .action(async (name: string, o: { scope: string }) => {
      assertName(name);
      assertScope(o.scope);
      await (await client()).request('DELETE', `/secrets/${name}?scope=${encodeURIComponent(o.scope)}`);
      io.stdout.write(`removed ${name} (${o.scope})\n`);
    });

  secret
    .command('attach')
    .description('show or replace the secrets a sandbox uses: NAME[:proxy|file|env] … (none given: show)')
    .argument('<sandbox>')
    .argument('[secrets...]', 'e.g. ANTHROPIC_API_KEY NPM_TOKEN:file')
    .option('--none', 'detach every secret')
    .option('--json', 'machine-readable output')
    .action(async (sandbox: string, specs: string[], o: { none?: boolean; json?: boolean }) => {
      const c = await client();
      const path = `/sandboxes/${encodeURIComponent(sandbox)}/secrets`;
      const res = specs.length || o.none
        ? await c.request<SandboxSecretsResult>('PUT', path, { secrets: o.none ? [] : parseSecretFlags(specs, io.stderr) })
        : await c.request<SandboxSecretsResult>('GET', path);
      if (o.json) {
        io.stdout.write(JSON.stringify(res) + '\n');
        return;
      }
      io.stdout.write(res.secrets.length ? res.secrets.map(describeAttachment).join('\n') + '\n' : `${sandbox} uses no secrets\n`);
      if (res.recreateRequired) io.stdout.write(`env and proxy changes apply when ${sandbox} is recreated (paddock rm ${sandbox}, then paddock run again)\n`);
    });

  secret
    .command('share-login')
    .description("keep an agent's login in a volume shared by all of its sandboxes (opt-in; never copied from your own machine)")
    .argument('<agent>', 'claude, codex, gemini or opencode')
    .option('--off', 'stop sharing (new sandboxes keep their own login; the volume is kept)')
    .action(async (agent: string, o: { off?: boolean }) => {
      const res = await (await client()).request<{ agents: string[] }>('PUT', `/shared-logins/${encodeURIComponent(agent)}`, { enabled: !o.off });
      io.stdout.write(o.off
        ? `${agent}: each new sandbox keeps its own login\n`
        : `${agent}: new sandboxes share one login (volume paddock-creds-${agent}); log in once inside any of them\n`);
      if (res.agents.length) io.stdout.write(`sharing logins: ${res.agents.join(', ')}\n`);
    });
}
