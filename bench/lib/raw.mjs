/**
 * The raw-docker side: the same image with the same create options Paddock uses (imported from
 * backend/dist/core/spec.js so the two cannot drift), labelled io.paddock.test=<run>.
 */
import { mkdtempSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RESOURCES, KEPT_CAPABILITIES, LOG_MAX_FILES, LOG_MAX_SIZE, TMP_TMPFS_OPTIONS, AGENT_HOME } from '../../backend/dist/core/spec.js';
import { mustDocker, docker, TEST_LABEL } from './harness.mjs';

export class RawDocker {
  constructor(runId, image) {
    this.run = runId;
    this.image = image;
    this.n = 0;
    this.workspaces = [];
  }

  get labelArgs() {
    return ['--label', `${TEST_LABEL}=${this.run}`];
  }

  workspace() {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-raw-'));
    try {
      chownSync(dir, 1000, 1000);
    } catch {
      /* not root */
    }
    this.workspaces.push(dir);
    return dir;
  }

  /**
   * `docker run -d` with Paddock's options: its own internal network, a home volume, the workspace
   * bind-mounted at the same path, hardening and limits, the image's own entrypoint (tini →
   * paddock-init → tmux + bash). Returns the container name. `opts.cmd` replaces the command (sleep).
   */
  async create({ runtime = 'runc', name, workspace, network = true, cmd, start = true } = {}) {
    name ??= `bench-raw-${this.run}-${++this.n}`;
    workspace ??= this.workspace();
    const net = `${name}-net`;
    const vol = `${name}-home`;
    const args = ['run', ...(start ? ['-d'] : []), '--name', name, ...this.labelArgs, '--runtime', runtime];
    if (network) {
      await mustDocker(['network', 'create', '--internal', ...this.labelArgs, net]);
      args.push('--network', net);
    } else args.push('--network', 'none');
    await mustDocker(['volume', 'create', ...this.labelArgs, vol]);
    args.push(
      '--mount', `type=bind,source=${workspace},target=${workspace}`,
      '--mount', `type=volume,source=${vol},target=${AGENT_HOME}`,
      '-w', workspace,
      '--cap-drop', 'ALL', ...KEPT_CAPABILITIES.flatMap((c) => ['--cap-add', c]),
      '--pids-limit', String(DEFAULT_RESOURCES.pids),
      '--memory', String(DEFAULT_RESOURCES.memoryBytes), '--memory-swap', String(DEFAULT_RESOURCES.memoryBytes),
      '--cpus', String(DEFAULT_RESOURCES.cpus),
      '--tmpfs', `/tmp:${TMP_TMPFS_OPTIONS}`,
      '--ipc', 'private', '--oom-score-adj', '500', '--stop-timeout', '5',
      '--log-opt', `max-size=${LOG_MAX_SIZE}`, '--log-opt', `max-file=${LOG_MAX_FILES}`,
      '-e', `HOME=${AGENT_HOME}`, '-e', 'TERM=xterm-256color', '-e', 'COLORTERM=truecolor', '-e', 'LANG=C.UTF-8',
      '-e', 'PADDOCK_UID=1000', '-e', 'PADDOCK_GID=1000', '-e', `PADDOCK_WORKSPACE=${workspace}`, '-e', 'PADDOCK_AGENT_ARGV=["bash","-l"]',
      this.image, ...(cmd ?? []),
    );
    if (!start) args.splice(args.indexOf('run'), 1, 'create');
    await mustDocker(args);
    return { name, workspace };
  }

  async remove(name) {
    await docker(['rm', '-f', '-v', name]);
    await docker(['network', 'rm', `${name}-net`]);
    await docker(['volume', 'rm', '-f', `${name}-home`]);
  }
}
