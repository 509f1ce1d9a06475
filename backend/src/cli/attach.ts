/**
 * `paddock run` / `attach` / `shell`: the local terminal in raw mode, bytes over the same
 * WebSocket the dashboard uses, resizes forwarded, detach on a key sequence (Ctrl-P Ctrl-Q by
 * default) that leaves the agent running.
 */
import { ErrorCode, PaddockError } from '../core/errors.js';
import { API_PREFIX, FLOW_ACK_BYTES, PROTOCOL_VERSION, ServerControl } from '../core/protocol.js';
import type { DaemonClient } from './client.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** "ctrl-p,ctrl-q" → bytes [0x10, 0x11]; single characters are taken literally. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^ctrl-([a-z@\[\\\]^_])$/i.exec(part);
    if (m) bytes.push(m[1]!.toUpperCase().charCodeAt(0) & 0x1f);
    else if (part.length === 1) bytes.push(part.charCodeAt(0));
    else throw new PaddockError(ErrorCode.BadInput, `Cannot read detach key "${part}". Use e.g. ctrl-p,ctrl-q or ctrl-a,d.`);
  }
  if (!bytes.length) throw new PaddockError(ErrorCode.BadInput, 'Detach keys are empty. Use e.g. --detach-keys ctrl-p,ctrl-q.');
  return Buffer.from(bytes);
}

/** Watches input for the detach sequence; returns bytes to forward and whether to detach. */
export class DetachMatcher {
  private held: number[] = [];
  constructor(private readonly seq: Buffer) {}

  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.seq[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.seq.length) return { forward: Buffer.from(out), detach: true };
      } else {
        out.push(...this.held);
        this.held = [];
        if (b === this.seq[0]) this.held.push(b);
        else out.push(b);
      }
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface AttachResult {
  reason: 'exit' | 'detached' | 'closed';
  exitCode: number | null;
}

export async function attach(client: DaemonClient, sandbox: string, session: string, opts: { detachKeys: string; scrollback?: number }): Promise<AttachResult> {
  // Loaded here, not at the top: ws is a tenth of a second of every CLI command's start-up, and
  // only attach needs it.
  const { default: WebSocket } = await import('ws');
  const stdin = process.stdin;
  const stdout = process.stdout;
  const interactive = Boolean(stdin.isTTY && stdout.isTTY);
  const matcher = new DetachMatcher(parseDetachKeys(opts.detachKeys));
  const url = `ws+unix://${client.paths.socketPath}:${API_PREFIX}/sandboxes/${encodeURIComponent(sandbox)}/terminal?session=${encodeURIComponent(session)}&scrollback=${opts.scrollback ?? 0}`;
  const ws = new WebSocket(url, { headers: { 'x-paddock-client': 'cli' } });

  return new Promise<AttachResult>((resolve, reject) => {
    let result: AttachResult = { reason: 'closed', exitCode: null };
    let unacked = 0;
    const cleanup = () => {
      if (interactive) stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
    };
    const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
    const onResize = () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'resize', ...size() }));
    const onInput = (chunk: Buffer) => {
      const { forward, detach } = matcher.feed(chunk);
      if (forward.length && ws.readyState === ws.OPEN) ws.send(forward, { binary: true });
      if (detach) {
        result = { reason: 'detached', exitCode: null };
        ws.close(1000, 'detached');
      }
    };

    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, ...size() }));
      if (interactive) stdin.setRawMode(true);
      stdin.on('data', onInput);
      stdin.resume();
      stdout.on('resize', onResize);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const buf = data as Buffer;
        stdout.write(buf, () => {
          unacked += buf.length;
          if (unacked >= FLOW_ACK_BYTES && ws.readyState === ws.OPEN) {
            ws.send(JSON.stringify({ type: 'ack', bytes: unacked }));
            unacked = 0;
          }
        });
        return;
      }
      const parsed = ServerControl.safeParse(JSON.parse(data.toString()));
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === 'exit') {
        result = { reason: 'exit', exitCode: msg.code };
        // let the last bytes of the screen arrive, then leave
        setTimeout(() => ws.close(1000, 'agent exited'), 200);
      } else if (msg.type === 'error') {
        result = { reason: 'closed', exitCode: null };
        cleanup();
        reject(new PaddockError(ErrorCode.Conflict, msg.message));
      }
    });
    ws.on('close', () => {
      cleanup();
      resolve(result);
    });
    ws.on('error', (err) => {
      cleanup();
      reject(new PaddockError(ErrorCode.Internal, `terminal connection failed: ${err.message}`));
    });
  });
}
