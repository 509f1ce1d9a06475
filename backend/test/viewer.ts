/** A test viewer for the terminal WebSocket: raw bytes in, a headless xterm for what a person sees. */
import xtermHeadless from '@xterm/headless';
import WebSocket from 'ws';
import { API_PREFIX, FLOW_ACK_BYTES, PROTOCOL_VERSION, type ServerControl } from '../src/core/protocol.js';

const { Terminal } = xtermHeadless as unknown as { Terminal: typeof import('@xterm/headless').Terminal };

export class TestViewer {
  readonly ws: WebSocket;
  readonly term: InstanceType<typeof Terminal>;
  readonly control: ServerControl[] = [];
  bytes: Buffer[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private unacked = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(socketPath: string, sandbox: string, opts: { session?: string; cols?: number; rows?: number; scrollback?: number; hello?: boolean; ack?: boolean } = {}) {
    const cols = opts.cols ?? 100;
    const rows = opts.rows ?? 30;
    this.term = new Terminal({ cols, rows, scrollback: 20_000, allowProposedApi: true });
    this.ws = new WebSocket(`ws+unix://${socketPath}:${API_PREFIX}/sandboxes/${sandbox}/terminal?session=${opts.session ?? 'agent'}&scrollback=${opts.scrollback ?? 10000}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      });
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const b = data as Buffer;
        this.bytes.push(b);
        this.term.write(b, () => {
          if (opts.ack === false) return;
          this.unacked += b.length;
          if (this.unacked >= FLOW_ACK_BYTES && this.ws.readyState === this.ws.OPEN) {
            this.ws.send(JSON.stringify({ type: 'ack', bytes: this.unacked }));
            this.unacked = 0;
          }
        });
      } else this.control.push(JSON.parse(data.toString()) as ServerControl);
    });
    if (opts.hello !== false) void this.opened.then(() => this.ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, cols, rows })));
  }

  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }

  sendText(s: string): void {
    this.ws.send(s);
  }

  /** Every line of the buffer (scrollback + screen), trailing spaces trimmed. */
  lines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out;
  }

  screen(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let i = b.baseY; i < b.baseY + this.term.rows; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** Wait until the rendered terminal satisfies `pred` (xterm writes are async). */
  async waitFor(pred: (v: this) => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise<void>((r) => this.term.write('', () => r()));
      if (pred(this)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${this.screen().join('\n')}`);
  }

  close(): Promise<number> {
    this.ws.close(1000);
    return this.closed;
  }
}
