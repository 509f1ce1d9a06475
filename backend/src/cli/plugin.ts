/** The Docker CLI plugin: `docker paddock …` runs the same CLI. */
import type { Command } from 'commander';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PADDOCK_VERSION } from '../daemon/version.js';

export const PLUGIN_METADATA = {
  SchemaVersion: '0.1.0',
  Vendor: 'Paddock',
  Version: PADDOCK_VERSION,
  ShortDescription: 'Run AI coding agents in isolated sandboxes',
  URL: 'https://github.com/paddock-dev/paddock',
};

const PLUGIN_BIN = fileURLToPath(new URL('../../bin/docker-paddock.js', import.meta.url));

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('the Docker CLI plugin (docker paddock …)');
  plugin
    .command('install')
    .description('install docker-paddock into ~/.docker/cli-plugins')
    .option('--dir <dir>', 'plugin directory', join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'cli-plugins'))
    .action((o: { dir: string }) => {
      mkdirSync(o.dir, { recursive: true });
      const target = join(o.dir, 'docker-paddock');
      writeFileSync(target, `#!/bin/sh\nexec "${process.execPath}" "${PLUGIN_BIN}" "$@"\n`);
      chmodSync(target, 0o755);
      process.stdout.write(`installed ${target}; try: docker paddock ls\n`);
    });
}
