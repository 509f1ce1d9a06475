import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rule, evaluate } from '../core/policy.js';
import { formatPolicyError, loadPolicyFile, parsePolicyText, policyFilePaths } from './load.js';

const F = '/etc/paddock/policy.yaml';
const HOME = '/home/ada';

describe('line-numbered errors', () => {
  it.each([
    {
      name: 'unknown key points at the key',
      text: 'agents:\n  allow: [claude]\nnetwork:\n  denyHost: [x.com]\n',
      line: 4, column: 3, path: 'network.denyHost', msg: 'unknown key',
    },
    {
      name: 'bad list item points at the item',
      text: 'isolation:\n  allow:\n    - gvisor\n    - vm\n',
      line: 4, column: 7, path: 'isolation.allow.1', msg: 'container',
    },
    {
      name: 'a forbidden root points at the entry',
      text: '# team policy\nworkspaces:\n  roots:\n    - ~/src\n    - /\n',
      line: 5, column: 7, path: 'workspaces.roots.1', msg: 'root directory',
    },
    {
      name: 'wrong type points at the key',
      text: 'sandboxes:\n  maxConcurrent: lots\n',
      line: 2, column: 3, path: 'sandboxes.maxConcurrent', msg: 'number',
    },
    {
      name: 'a bad size points at the key',
      text: 'resources:\n  max:\n    cpus: 4\n    memory: 8 gigs\n',
      line: 4, column: 5, path: 'resources.max.memory', msg: 'memory size',
    },
    {
      name: 'YAML syntax error',
      text: 'agents:\n  allow: [claude\nnetwork: {}\n',
      line: 3, column: 1, path: '', msg: '',
    },
    {
      name: 'duplicate key',
      text: 'onViolation: stop\nonViolation: flag\n',
      line: 2, column: 1, path: '', msg: 'unique',
    },
    {
      name: 'a list where a mapping belongs',
      text: '- agents\n',
      line: 1, column: 1, path: '', msg: 'object',
    },
  ])('$name', ({ text, line, column, path, msg }) => {
    const { policy, errors } = parsePolicyText(text, F, HOME);
    expect(policy).toBeNull();
    expect(errors[0]).toMatchObject({ file: F, line, column, path });
    expect(errors[0]!.message).toContain(msg);
    expect(formatPolicyError(errors[0]!)).toMatch(new RegExp(`^${F}:${line}:${column}: `));
  });

  it('reports every error at once', () => {
    const { errors } = parsePolicyText('agents:\n  allow: [Bad Name]\nnetwork:\n  allowOpen: maybe\n', F, HOME);
    expect(errors.map((e) => e.line)).toEqual([2, 4]);
  });

  it('a good file compiles with its path as the source', () => {
    const { policy, errors } = parsePolicyText('agents:\n  allow: [shell]\n', F, HOME);
    expect(errors).toEqual([]);
    const v = evaluate(policy!, { agent: 'claude', workspace: '/w', mounts: [], isolation: 'container', network: 'none', allowHosts: [], cpus: 1, memoryBytes: 1 << 30, pids: 100 });
    expect(v).toEqual([expect.objectContaining({ rule: Rule.Agents, source: F })]);
  });

  it('an empty file is an empty policy', () => {
    expect(parsePolicyText('# nothing yet\n', F, HOME).errors).toEqual([]);
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('user file under the config dir, org file from PADDOCK_ORG_POLICY', () => {
    expect(policyFilePaths('/c', {})).toEqual({ user: '/c/policy.yaml', org: null });
    expect(policyFilePaths('/c', { PADDOCK_ORG_POLICY: '/etc/paddock/org.yaml' })).toEqual({ user: '/c/policy.yaml', org: '/etc/paddock/org.yaml' });
  });

  it('a missing file is absent, not an error', async () => {
    expect(await loadPolicyFile(join(dir, 'nope.yaml'), HOME)).toMatchObject({ present: false, errors: [], policy: null });
  });

  it('an unreadable file is an error', async () => {
    const p = join(dir, 'policy.yaml');
    await mkdir(p); // a directory where the file should be: unreadable even for root
    const f = await loadPolicyFile(p, HOME);
    expect(f).toMatchObject({ present: true, policy: null });
    expect(f.errors[0]?.message).toContain('EISDIR');
  });
});
