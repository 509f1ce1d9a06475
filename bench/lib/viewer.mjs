/**
 * Terminal consumers used by the benches: a WebSocket viewer of a paddockd session, and a raw
 * `docker exec -t` stream. Both can render into @xterm/headless and report completion from its
 * write callback, so the two sides pay the same parsing cost.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const require = createRequire(join(ROOT, 'backend', 'package.json'));
const { Terminal } = require('@xterm/headless');
const WebSocket = require('ws');

const PROTOCOL_VERSION = 1; // backend/src/core/protocol.ts
const API_PREFIX = '/api/v1';
const FLOW_ACK_BYTES = 5_000; // backend/src/core/protocol.ts: acks are batched every 5 kB
const TAIL_KEEP = 256; // bytes of the previous chunk kept so a marker split across frames is still found
const XTERM_SCROLLBACK = 1_000; // enough for prompts; a large scrollback only slows the 64 MB write

export const PROMPT_RE = /[$#>] ?$/;

/** A headless terminal plus a byte sink with marker waits. */
class Sink {
  constructor({ render = true, cols = 120, rows = 36 } = {}) {
    this.term = render ? new Terminal({ cols, rows, scrollback: XTERM_SCROLLBACK, allowProposedApi: true }) : null;
    this.received = 0;
    this.rendered = 0;
    this.tail = '';
    this.waiters = [];
    this.firstByteAt = 0;
  }

  /** Feed bytes; `done(n)` runs when they are rendered (immediately without a terminal). */
  feed(buf, done) {
    if (!this.firstByteAt) this.firstByteAt = performance.now();
    this.received += buf.length;
    const text = this.tail + buf.toString('latin1');
    this.tail = text.slice(-TAIL_KEEP);
    const hits = this.waiters.filter((w) => w.kind === 'bytes' && w.re.test(text));
    const afterRender = () => {
      this.rendered += buf.length;
      for (const w of hits) this.resolve(w);
      this.checkScreen();
      done?.(buf.length);
    };
    if (this.term) this.term.write(buf, afterRender);
    else afterRender();
  }

  resolve(w) {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve(performance.now());
  }

  checkScreen() {
    for (const w of this.waiters.filter((x) => x.kind === 'screen')) if (this.screen().some((l) => w.re.test(l))) this.resolve(w);
  }

  /** Resolves with the time (performance.now) when a received chunk (plus a short tail) matches `re` and is rendered. */
  waitBytes(re, timeoutMs = 60_000, what = String(re)) {
    return this.wait({ kind: 'bytes', re }, timeoutMs, what);
  }

  /** Resolves when a rendered screen line matches `re`. */
  waitScreen(re, timeoutMs = 60_000, what = String(re)) {
    const p = this.wait({ kind: 'screen', re }, timeoutMs, what);
    this.checkScreen();
    return p;
  }

  wait(w, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      w.resolve = resolve;
      w.timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${this.screen().join('\n')}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  screen() {
    if (!this.term) return [this.tail];
    const b = this.term.buffer.active;
    const out = [];
    for (let i = b.baseY; i < b.baseY + this.term.rows; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out;
  }

  dispose() {
    for (const w of this.waiters.splice(0)) clearTimeout(w.timer);
    this.term?.dispose();
  }
}

/**
 * A viewer of a paddockd terminal session over its Unix-socket WebSocket (the CLI's path).
 * `render: false` acks on receipt without parsing (a consumer that costs the bench nothing).
 */
export class WsViewer extends Sink {
  constructor(socketPath, sandbox, { session = 'agent', cols = 120, rows = 36, render = true } = {}) {
    super({ render, cols, rows });
    this.unacked = 0;
    this.ws = new WebSocket(`ws+unix://${socketPath}:${API_PREFIX}/sandboxes/${sandbox}/terminal?session=${encodeURIComponent(session)}&scrollback=1000`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      this.feed(data, (n) => {
        this.unacked += n;
        if (this.unacked >= FLOW_ACK_BYTES && this.ws.readyState === WebSocket.OPEN) {
          this.ws.send(JSON.stringify({ type: 'ack', bytes: this.unacked }));
          this.unacked = 0;
        }
      });
    });
    void this.opened.then(() => this.ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, cols, rows }))).catch(() => {});
  }

  type(s) {
    this.ws.send(Buffer.from(s), { binary: true });
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    this.dispose();
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/**
 * Raw `docker exec` with a TTY. Interactive ones (-i) run under `script -qfc` so the docker CLI
 * has a local pty exactly as in a person's terminal; `script` relays the pty to our pipes.
 * Non-interactive ones use plain `docker exec -t` (output only).
 */
export class RawExec extends Sink {
  constructor(container, argv, { interactive = true, user, workdir, env = {}, cols = 120, rows = 36, render = true } = {}) {
    super({ render, cols, rows });
    const flags = [interactive ? '-it' : '-t', ...(user ? ['-u', user] : []), ...(workdir ? ['-w', workdir] : []), ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])];
    const dockerArgv = ['docker', 'exec', ...flags, container, ...argv];
    if (interactive) {
      const cmd = `stty cols ${cols} rows ${rows} 2>/dev/null; exec ${dockerArgv.map(shq).join(' ')}`;
      this.proc = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    } else {
      this.proc = spawn(dockerArgv[0], dockerArgv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    }
    this.stderr = '';
    this.proc.stderr.on('data', (b) => (this.stderr += b));
    this.proc.stdout.on('data', (b) => {
      // without a consumer-side flow control the pipe would buffer without bound: pause until rendered
      this.proc.stdout.pause();
      this.feed(b, () => this.proc.stdout.resume());
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  type(s) {
    this.proc.stdin?.write(s);
  }

  async close() {
    this.dispose();
    if (this.proc.exitCode === null) {
      this.proc.stdin?.destroy();
      this.proc.kill('SIGKILL');
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}

export function shq(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
