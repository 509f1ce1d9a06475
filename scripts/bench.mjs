#!/usr/bin/env node
// Paddock's benchmark suite (bench/README.md): `node scripts/bench.mjs [launch|terminal|density|parallel|io|dashboard ...]`.
// Needs a built backend (`npm run build -w backend`) and a running engine; prints one table and
// saves the full results as JSON in bench/results/.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'backend', 'dist', 'daemon', 'main.js'))) {
  console.error('backend is not built: run `npm run build -w backend` first');
  process.exit(2);
}
const { main } = await import('../bench/index.mjs');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(String(err?.message ?? err));
  process.exitCode = 2;
}
