import { FLOW_ACK_BYTES, PROTOCOL_VERSION, TERMINAL_MAX_INPUT_FRAME_BYTES } from '../../core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECONNECT_BASE_MS } from '../../transport/backoff';
import { AckBatcher } from './ack-batcher';
import { ATTACH_QUIET_MS } from './terminal-reports';
import { HELLO_TIMEOUT_MS, TerminalConnection, type ConnectionState, type SocketLike } from './terminal-connection';

class FakeSocket implements SocketLike {
  binaryType: BinaryType = 'blob';
  readyState = 0;
  sent: (string | Uint8Array)[] = [];
  closedWith: number | null = null;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  constructor(readonly url: string) {}
  send(data: string | ArrayBufferLike | ArrayBufferView) {
    this.sent.push(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer).slice());
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  accept() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  text(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) } as MessageEvent);
  }
  binary(bytes: Uint8Array) {
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } as MessageEvent);
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
  controls() {
    return this.sent.filter((x): x is string => typeof x === 'string').map((x) => JSON.parse(x) as Record<string, unknown>);
  }
}

const hello = { type: 'hello', version: PROTOCOL_VERSION, session: 'agent', sandbox: 'sb', agentState: 'running', exitCode: null };

function setup(opts: { writeSync?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const output: Uint8Array[] = [];
  const pendingWrites: (() => void)[] = [];
  let urlN = 0;
  const hellos: unknown[] = [];
  const conn = new TerminalConnection({
    endpoint: async () => `ws://x/t?n=${++urlN}`,
    size: () => ({ cols: 120, rows: 36 }),
    onOutput: (b, done) => {
      output.push(b);
      if (opts.writeSync === false) pendingWrites.push(done);
      else done();
    },
    onHello: (h) => hellos.push(h),
    onState: (s) => states.push(s),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: () => 0.5, // no jitter
  });
  return { conn, sockets, states, output, pendingWrites, hellos, last: () => sockets[sockets.length - 1]! };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TerminalConnection', () => {
  it('sends hello with the terminal size first, then handles the server hello', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    const ws = t.last();
    expect(ws.binaryType).toBe('arraybuffer');
    ws.accept();
    expect(ws.controls()).toEqual([{ type: 'hello', version: PROTOCOL_VERSION, cols: 120, rows: 36 }]);
    // keystrokes before the server's hello are not sent
    t.conn.sendInput('x');
    expect(ws.sent).toHaveLength(1);
    ws.text(hello);
    expect(t.conn.current).toEqual({ kind: 'open' });
    expect(t.hellos).toHaveLength(1);
    t.conn.sendInput('ls\r');
    expect(ws.sent[1]).toEqual(new TextEncoder().encode('ls\r'));
  });

  it("drops xterm's automatic answers while attaching, but not later and never keystrokes", async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    const ws = t.last();
    ws.accept();
    ws.text(hello);
    t.conn.sendInput('\x1b[12;40R'); // a cursor-position answer to something in the replay
    t.conn.sendInput('l');
    expect(ws.sent.slice(1)).toEqual([new TextEncoder().encode('l')]);
    await vi.advanceTimersByTimeAsync(ATTACH_QUIET_MS);
    t.conn.sendInput('\x1b[12;40R'); // a program asking later gets its answer
    expect(ws.sent).toHaveLength(3);
    t.conn.sendInput('\x1b[?1;2c\x1b[>0;276;0c'); // tmux's late device-attribute probe: never typed into the shell
    expect(ws.sent).toHaveLength(3);
  });

  it('acks written bytes in batches of FLOW_ACK_BYTES, only once xterm has written them', async () => {
    const t = setup({ writeSync: false });
    t.conn.connect();
    await flush();
    const ws = t.last();
    ws.accept();
    ws.text(hello);
    const chunk = new Uint8Array(2_000).fill(65);
    for (let i = 0; i < 5; i++) ws.binary(chunk);
    expect(t.output).toHaveLength(5);
    expect(ws.controls().filter((c) => c.type === 'ack')).toEqual([]); // nothing written yet
    t.pendingWrites.splice(0).forEach((done) => done());
    const acks = ws.controls().filter((c) => c.type === 'ack');
    expect(acks).toEqual([{ type: 'ack', bytes: 6_000 }]);
    expect(6_000).toBeGreaterThanOrEqual(FLOW_ACK_BYTES);
  });

  it('splits a huge paste into frames the server accepts', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    t.last().accept();
    t.last().text(hello);
    t.conn.sendInput(new Uint8Array(TERMINAL_MAX_INPUT_FRAME_BYTES * 2 + 10));
    const frames = t.last().sent.filter((x) => typeof x !== 'string') as Uint8Array[];
    expect(frames.map((f) => f.byteLength)).toEqual([TERMINAL_MAX_INPUT_FRAME_BYTES, TERMINAL_MAX_INPUT_FRAME_BYTES, 10]);
  });

  it('sends resize and restart as control frames; shows exit and restarted', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    const ws = t.last();
    ws.accept();
    ws.text(hello);
    t.conn.resize(80, 24);
    ws.text({ type: 'exit', code: 3 });
    expect(t.conn.current).toEqual({ kind: 'exited', code: 3 });
    t.conn.restart();
    ws.text({ type: 'restarted' });
    expect(t.conn.current).toEqual({ kind: 'open' });
    expect(ws.controls().slice(1)).toEqual([{ type: 'resize', cols: 80, rows: 24 }, { type: 'restart' }]);
  });

  it('an exited agent at attach time shows as exited', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    t.last().accept();
    t.last().text({ ...hello, agentState: 'exited', exitCode: 1 });
    expect(t.conn.current).toEqual({ kind: 'exited', code: 1 });
  });

  it('reconnects with growing backoff after a drop, with a fresh endpoint and a fresh ack count', async () => {
    const t = setup({ writeSync: false });
    t.conn.connect();
    await flush();
    t.last().accept();
    t.last().text(hello);
    t.last().binary(new Uint8Array(4_000));
    const staleWrite = t.pendingWrites.pop()!;
    t.last().drop(1006);
    expect(t.conn.current).toEqual({ kind: 'reconnecting', attempt: 1, inMs: RECONNECT_BASE_MS });
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toBe('ws://x/t?n=2');
    t.last().drop(1006); // fails again before opening: the delay doubles
    expect(t.conn.current).toEqual({ kind: 'reconnecting', attempt: 2, inMs: RECONNECT_BASE_MS * 2 });
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS * 2);
    const ws = t.last();
    ws.accept();
    ws.text(hello);
    expect(t.hellos).toHaveLength(2); // the pane clears the screen before the replay
    staleWrite(); // the old socket's write finishing must not count for the new one
    ws.binary(new Uint8Array(4_000));
    t.pendingWrites.pop()!();
    expect(ws.controls().filter((c) => c.type === 'ack')).toEqual([]);
    // a successful hello resets the backoff
    ws.drop(1001);
    expect(t.conn.current).toMatchObject({ kind: 'reconnecting', attempt: 1, inMs: RECONNECT_BASE_MS });
  });

  it('gives up on close codes retrying cannot fix', async () => {
    for (const code of [4401, 4404, 4409, 4400, 4413]) {
      const t = setup();
      t.conn.connect();
      await flush();
      t.last().accept();
      t.last().drop(code);
      expect(t.conn.current.kind).toBe('failed');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(t.sockets).toHaveLength(1);
    }
  });

  it('retries after "session ended": the tmux client may just have been detached', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    t.last().accept();
    t.last().text(hello);
    t.last().drop(4410, 'session ended');
    expect(t.conn.current.kind).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS);
    expect(t.sockets).toHaveLength(2);
    t.last().accept();
    t.last().drop(4404, 'no such session');
    expect(t.conn.current).toMatchObject({ kind: 'failed', code: 4404 });
  });

  it('reconnects when the server never says hello', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    const ws = t.last();
    ws.accept();
    await vi.advanceTimersByTimeAsync(HELLO_TIMEOUT_MS);
    expect(ws.closedWith).toBe(4000);
    ws.drop(4000);
    await vi.advanceTimersByTimeAsync(RECONNECT_BASE_MS);
    expect(t.sockets).toHaveLength(2);
  });

  it('fails on a protocol version mismatch without retrying', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    t.last().accept();
    t.last().text({ ...hello, version: PROTOCOL_VERSION + 1 });
    t.last().drop(1000);
    expect(t.conn.current).toMatchObject({ kind: 'failed', code: 4409 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('dispose closes the socket and stops retrying', async () => {
    const t = setup();
    t.conn.connect();
    await flush();
    t.last().accept();
    t.conn.dispose();
    expect(t.last().closedWith).toBe(1000);
    t.last().drop(1006);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });
});

describe('AckBatcher', () => {
  it('acks once the batch size is reached and carries the remainder', () => {
    const sent: number[] = [];
    const a = new AckBatcher((n) => sent.push(n), 100);
    a.written(60);
    a.written(30);
    expect(sent).toEqual([]);
    a.written(20);
    expect(sent).toEqual([110]);
    a.written(99);
    expect(a.unacked).toBe(99);
    a.reset();
    a.written(1);
    expect(sent).toEqual([110]);
  });
});
