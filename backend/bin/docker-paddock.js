#!/usr/bin/env node
// Docker CLI plugin entry: `docker paddock ARGS` runs this as `docker-paddock paddock ARGS`.
import { PLUGIN_METADATA } from '../dist/cli/plugin.js';
const args = process.argv.slice(2);
if (args[0] === 'docker-cli-plugin-metadata') {
  process.stdout.write(JSON.stringify(PLUGIN_METADATA) + '\n');
} else {
  const { run } = await import('../dist/cli/main.js');
  await run(args[0] === 'paddock' ? args.slice(1) : args);
}
