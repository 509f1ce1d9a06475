#!/usr/bin/env node
import { main } from '../dist/daemon/main.js';
try {
  await main();
} catch (err) {
  // A start-up refusal (port in use, another paddockd on the socket, no engine) is one line that
  // says what to do; `paddock` shows it when it started this daemon.
  process.stderr.write(`paddockd: ${err?.name === 'PaddockError' ? err.message : (err?.stack ?? String(err))}\n`);
  process.exit(1);
}
