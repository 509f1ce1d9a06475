/**
 * One terminal session over paddockd's WebSocket (docs/api.md, "Terminal WebSocket"):
 * hello handshake, binary frames both ways, batched acks, resize, restart, and reconnect with
 * backoff when the socket drops. No DOM or xterm here: the pane feeds it and renders what it
 * emits, so the protocol logic is testable with a fake socket.
 */
import { PROTOCOL_VERSION, ServerControl, TerminalCloseCode, TERMINAL_MAX_INPUT_FRAME_BYTES, type ClientControl } from '../../core';
import { backoffDelay } from '../../transport/backoff';
import { AckBatcher } from './ack-batcher';
import { ATTACH_QUIET_MS, isDeviceAttributesReport, isTerminalReport } from './terminal-reports';

/** The subset of WebSocket this class uses (the browser's WebSocket satisfies it). */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

const OPEN = 1;
export const HELLO_TIMEOUT_MS = 10_000; // a server that accepts but never says hello is as good as down
/** Application close code we use ourselves when giving up on a silent server. */
const CLIENT_TIMEOUT_CLOSE = 4000;

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'exited'; code: number | null }
  | { kind: 'reconnecting'; attempt: number; inMs: number }
  /** Terminal: no automatic retry (unknown sandbox, ended session, auth, version mismatch). */
  | { kind: 'failed'; code: number; message: string };

export interface ServerHello {
  session: string;
  sandbox: string;
  agentState: 'running' | 'exited' | 'unknown';
  exitCode: number | null;
}

export interface TerminalConnectionOptions {
  /** Resolves to the ws:// URL (called again for each reconnect: tokens are short-lived). */
  endpoint: () => Promise<string>;
  /** Current terminal size; sent in hello. */
  size: () => { cols: number; rows: number };
  /** Terminal bytes from the server. Call `done` once they are on screen (xterm's write callback). */
  onOutput: (bytes: Uint8Array, done: () => void) => void;
  /** The server said hello: the replay of scrollback follows, so clear the screen first. */
  onHello?: (hello: ServerHello) => void;
  onState?: (s: ConnectionState) => void;
  onRestarted?: () => void;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
}

const encoder = new TextEncoder();

export class TerminalConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private epoch = 0;
  private disposed = false;
  private greeted = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly acks: AckBatcher;
  private state: ConnectionState = { kind: 'connecting', attempt: 0 };
  private quietUntil = 0;

  constructor(private readonly opts: TerminalConnectionOptions) {
    this.acks = new AckBatcher((bytes) => this.sendControl({ type: 'ack', bytes }));
  }

  get current(): ConnectionState {
    return this.state;
  }

  connect(): void {
    if (this.disposed) return;
    clearTimeout(this.retryTimer);
    const epoch = ++this.epoch;
    this.greeted = false;
    this.acks.reset();
    this.setState({ kind: 'connecting', attempt: this.attempt });
    this.opts.endpoint().then(
      (url) => {
        if (epoch === this.epoch && !this.disposed) this.open(url, epoch);
      },
      () => {
        if (epoch === this.epoch && !this.disposed) this.scheduleReconnect();
      },
    );
  }

  private open(url: string, epoch: number): void {
    const ws = (this.opts.createSocket ?? ((u: string) => new WebSocket(u) as SocketLike))(url);
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    ws.onopen = () => {
      const { cols, rows } = this.opts.size();
      this.sendControl({ type: 'hello', version: PROTOCOL_VERSION, cols: clampCols(cols), rows: clampRows(rows) });
      this.helloTimer = setTimeout(() => ws.close(CLIENT_TIMEOUT_CLOSE, 'no hello from server'), HELLO_TIMEOUT_MS);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (epoch !== this.epoch) return;
      if (typeof ev.data === 'string') this.onControl(ev.data);
      else {
        const bytes = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : new Uint8Array(ev.data as ArrayBufferLike);
        this.opts.onOutput(bytes, () => {
          // A write that finishes after a reconnect belongs to the old socket's debt.
          if (epoch === this.epoch) this.acks.written(bytes.byteLength);
        });
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      clearTimeout(this.helloTimer);
      if (epoch !== this.epoch || this.disposed) return;
      this.socket = null;
      const fatal = fatalClose(ev.code);
      if (fatal) this.setState({ kind: 'failed', code: ev.code, message: ev.reason || fatal });
      else this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and decides.
    };
  }

  private onControl(text: string): void {
    let parsed: ReturnType<typeof ServerControl.safeParse>;
    try {
      parsed = ServerControl.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    switch (msg.type) {
      case 'hello':
        clearTimeout(this.helloTimer);
        if (msg.version !== PROTOCOL_VERSION) {
          this.epoch++; // the close that follows is ours, not a drop to recover from
          this.socket?.close(TerminalCloseCode.Normal);
          this.socket = null;
          this.setState({ kind: 'failed', code: TerminalCloseCode.VersionMismatch, message: fatalClose(TerminalCloseCode.VersionMismatch)! });
          return;
        }
        this.greeted = true;
        this.attempt = 0;
        this.quietUntil = Date.now() + ATTACH_QUIET_MS;
        this.opts.onHello?.({ session: msg.session, sandbox: msg.sandbox, agentState: msg.agentState, exitCode: msg.exitCode });
        this.setState(msg.agentState === 'exited' ? { kind: 'exited', code: msg.exitCode } : { kind: 'open' });
        break;
      case 'exit':
        this.setState({ kind: 'exited', code: msg.code });
        break;
      case 'restarted':
        this.setState({ kind: 'open' });
        this.opts.onRestarted?.();
        break;
      case 'error':
        this.setState({ kind: 'failed', code: TerminalCloseCode.Internal, message: msg.message });
        break;
    }
  }

  private scheduleReconnect(): void {
    const inMs = backoffDelay(this.attempt, this.opts.random);
    this.attempt++;
    this.setState({ kind: 'reconnecting', attempt: this.attempt, inMs });
    this.retryTimer = setTimeout(() => this.connect(), inMs);
  }

  /** Keystrokes or a paste. Dropped while not connected (typing into a dead socket helps nobody). */
  sendInput(data: string | Uint8Array): void {
    const ws = this.socket;
    if (!ws || ws.readyState !== OPEN || !this.greeted) return;
    if (typeof data === 'string' && (isDeviceAttributesReport(data) || (Date.now() < this.quietUntil && isTerminalReport(data)))) return;
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    for (let i = 0; i < bytes.byteLength; i += TERMINAL_MAX_INPUT_FRAME_BYTES) {
      ws.send(bytes.subarray(i, i + TERMINAL_MAX_INPUT_FRAME_BYTES));
    }
  }

  resize(cols: number, rows: number): void {
    if (this.greeted) this.sendControl({ type: 'resize', cols: clampCols(cols), rows: clampRows(rows) });
  }

  /** Restart the agent after it exited. */
  restart(): void {
    this.sendControl({ type: 'restart' });
  }

  /** Reconnect now instead of waiting out the backoff (the "Retry" button). */
  retryNow(): void {
    this.attempt = 0;
    this.socket?.close(TerminalCloseCode.Normal);
    this.socket = null;
    this.connect();
  }

  dispose(): void {
    this.disposed = true;
    this.epoch++;
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloTimer);
    this.socket?.close(TerminalCloseCode.Normal);
    this.socket = null;
  }

  private sendControl(msg: ClientControl): void {
    const ws = this.socket;
    if (ws && ws.readyState === OPEN) ws.send(JSON.stringify(msg));
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    this.opts.onState?.(s);
  }
}

/**
 * Close codes after which retrying cannot help, with what to tell the user; null means "retry".
 * 4410 (session ended) is retried: paddockd also sends it when our tmux client was detached
 * (e.g. another paddockd start detached stale clients) or the sandbox stopped; if the session
 * is really gone the retry gets 4404 and stops there.
 */
export function fatalClose(code: number): string | null {
  switch (code) {
    case TerminalCloseCode.Unauthorized:
      return 'Not authorized. Run `paddock dashboard` to get a new login link.';
    case TerminalCloseCode.NotFound:
      return 'This sandbox or session no longer exists.';
    case TerminalCloseCode.VersionMismatch:
      return 'The dashboard and paddockd speak different protocol versions. Reload the page.';
    case TerminalCloseCode.ProtocolError:
    case TerminalCloseCode.TooLarge:
      return 'paddockd refused a message from this pane. Reload the page.';
    default:
      return null;
  }
}

const clampCols = (c: number) => Math.min(1000, Math.max(2, Math.floor(c) || 80));
const clampRows = (r: number) => Math.min(500, Math.max(1, Math.floor(r) || 24));
