/**
 * Terminal sessions. tmux inside the sandbox holds every session (agent + extra shells), so the
 * agent keeps running with no viewer and across paddockd restarts. Each viewer gets its own tmux
 * client through a TTY exec: tmux redraws the screen for it and paces it on its own, so a slow
 * viewer never slows the others. Scrollback is replayed from tmux's history before attaching.
 */
import type { Actor, AppContext } from '../api/context.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import {
  ClientControl, PROTOCOL_VERSION, TERMINAL_MAX_CONTROL_BYTES, TerminalCloseCode, type ServerControl,
} from '../core/protocol.js';
import type { TtyExec } from '../engine/types.js';
import type { SandboxService } from '../sandboxes/service.js';
import type { SandboxInfo } from '../core/protocol.js';
import { ExitMarkerScanner, stripExitMarkers } from './exit-marker.js';
import { FlowController } from './flow.js';

export const SCROLLBACK_REPLAY_LINES = 10_000; // matches tmux history-limit; ≥ 5,000 promised
export const EXIT_RECHECK_MS = 400; // after attaching, when the agent may have exited unseen
export const EXIT_NOTICE_SETTLE_MS = 150; // let the first screen draw reach the viewer before an "already exited" notice
const DETACH_KEY = Buffer.from('\x1b[9876~'); // tmux.conf binds this (User0) to detach-client
const DETACH_GRACE_MS = 500; // after sending the detach key, end the exec stream
const SESSION_ID_RE = /^(agent|shell-[0-9]{1,4})$/;
/**
 * Each session has its own tmux server (paddock-ctl in images/base names the sockets the same way),
 * so a session flooding its terminal never delays keystrokes in another.
 */
export function tmuxSocketOf(sessionId: string): string {
  return sessionId === 'agent' ? '/run/paddock/tmux.sock' : `/run/paddock/tmux-${sessionId}.sock`;
}

/** The viewer side of a terminal: a WebSocket in paddockd, anything with these calls in tests. */
export interface ViewerSocket {
  sendBinary(data: Buffer): void;
  sendJson(msg: ServerControl): void;
  close(code: number, reason: string): void;
  onBinary(fn: (data: Buffer) => void): void;
  onText(fn: (text: string) => void): void;
  onClose(fn: () => void): void;
}

export interface SessionInfo {
  id: string;
  kind: 'agent' | 'shell';
  title: string;
}

export class TerminalService {
  private readonly viewers = new Set<() => void>();

  constructor(
    private readonly ctx: AppContext,
    private readonly sandboxes: SandboxService,
  ) {}

  get viewerCount(): number {
    return this.viewers.size;
  }

  async sessions(name: string): Promise<SessionInfo[]> {
    const s = await this.running(name);
    const out = await this.sandboxes.ctlExec(s, ['sessions']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]!)
      .filter((id) => SESSION_ID_RE.test(id))
      .map((id) => ({ id, kind: id === 'agent' ? 'agent' : 'shell', title: id === 'agent' ? s.agent : id.replace('shell-', 'shell ') }));
  }

  async newShell(name: string, actor: Actor): Promise<SessionInfo> {
    const s = await this.running(name);
    const existing = await this.sessions(name);
    let n = 1;
    while (existing.some((e) => e.id === `shell-${n}`)) n++;
    const id = `shell-${n}`;
    await this.sandboxes.ctlExec(s, ['new-shell', id]);
    this.ctx.log.info({ sandbox: name, session: id, actor }, 'shell session created');
    return { id, kind: 'shell', title: `shell ${n}` };
  }

  async killSession(name: string, id: string): Promise<void> {
    if (id === 'agent') throw new PaddockError(ErrorCode.BadInput, 'The agent session cannot be closed; stop the sandbox instead.');
    const s = await this.running(name);
    await this.checkSession(s, id);
    await this.sandboxes.ctlExec(s, ['kill', id]);
  }

  /** Plain-text scrollback + screen of a session (for `paddock logs`). */
  async logs(name: string, id: string, tail: number): Promise<string> {
    const s = await this.running(name);
    await this.checkSession(s, id);
    const out = await this.sandboxes.ctlExec(s, ['text', id, String(Math.min(Math.max(tail, 1), SCROLLBACK_REPLAY_LINES))]);
    const lines = out.replace(/\n+$/, '').split('\n');
    return lines.slice(-tail).join('\n') + '\n';
  }

  /** The startup sweep: per running sandbox, its `detach-all` (see detachStale). */
  private sweep: Promise<Map<string, Promise<void>>> | null = null;

  /**
   * After a paddockd restart no viewer is live: detach stale tmux clients left by the old process.
   * A viewer that arrives meanwhile waits for its sandbox's sweep, or the sweep would detach it.
   */
  detachStale(): Promise<void> {
    const sweep = (async () => {
      const bySandbox = new Map<string, Promise<void>>();
      for (const s of await this.sandboxes.list()) {
        if (s.state === 'running') bySandbox.set(s.name, this.sandboxes.ctlExec(s, ['detach-all']).then(() => undefined, () => undefined));
      }
      return bySandbox;
    })();
    this.sweep = sweep;
    return sweep.then(async (m) => void (await Promise.all(m.values())));
  }

  private async afterSweep(name: string): Promise<void> {
    const m = await this.sweep?.catch(() => null);
    await m?.get(name);
  }

  private async running(name: string): Promise<SandboxInfo> {
    const s = await this.sandboxes.get(name);
    if (s.state !== 'running') {
      throw new PaddockError(ErrorCode.Conflict, `Sandbox "${name}" is ${s.state}. Start it with \`paddock start ${name}\`.`);
    }
    return s;
  }

  private async checkSession(s: SandboxInfo, id: string): Promise<void> {
    if (!SESSION_ID_RE.test(id)) throw new PaddockError(ErrorCode.BadInput, `"${id}" is not a session id (agent or shell-N).`);
    const r = await this.ctx.engine.containers.exec(s.id, { cmd: ['paddock-ctl', 'has', id], user: `${s.uid}:${s.gid}` });
    if (r.exitCode !== 0) throw new PaddockError(ErrorCode.NotFound, `Sandbox "${s.name}" has no session "${id}". List them with GET /sessions or open a new shell.`);
  }

  /**
   * Serve one viewer. Resolves when the viewer is set up (or refused); the rest is event-driven.
   * Protocol: the first frame must be a hello (see docs/api.md).
   */
  serve(sock: ViewerSocket, name: string, sessionId: string, actor: Actor, opts: { scrollbackLines?: number } = {}): void {
    let started = false;
    let exec: TtyExec | null = null;
    let closed = false;
    let flow: FlowController | null = null;
    const scanner = new ExitMarkerScanner();
    let sawExit = false;

    const fail = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      try {
        sock.sendJson({ type: 'error', code: String(code), message: reason });
      } catch {
        // socket already gone
      }
      sock.close(code, reason.slice(0, 120));
      teardown();
    };

    const teardown = () => {
      this.viewers.delete(teardown);
      const e = exec;
      exec = null;
      if (!e) return;
      // Ask our tmux client to detach so no stale client is left in the sandbox.
      try {
        e.stream.write(DETACH_KEY);
      } catch {
        // stream already closed
      }
      setTimeout(() => e.stream.destroy(), DETACH_GRACE_MS).unref();
    };
    this.viewers.add(teardown);

    sock.onClose(() => {
      closed = true;
      teardown();
    });

    sock.onBinary((data) => {
      if (!started) return fail(TerminalCloseCode.ProtocolError, 'send a hello message before terminal input');
      // Input before the tmux client exists is dropped: it is the viewer's answers to terminal
      // queries of an earlier screen, which would otherwise be typed into the agent.
      if (exec) exec.stream.write(data);
    });

    sock.onText((text) => {
      if (text.length > TERMINAL_MAX_CONTROL_BYTES) return fail(TerminalCloseCode.TooLarge, 'control message too large');
      let msg: ClientControl;
      try {
        const parsed = ClientControl.safeParse(JSON.parse(text));
        if (!parsed.success) return fail(TerminalCloseCode.ProtocolError, `unknown or malformed control message: ${parsed.error.issues[0]?.message ?? ''}`);
        msg = parsed.data;
      } catch {
        return fail(TerminalCloseCode.ProtocolError, 'control messages must be JSON');
      }
      if (msg.type === 'hello') {
        if (started) return fail(TerminalCloseCode.ProtocolError, 'hello sent twice');
        if (msg.version !== PROTOCOL_VERSION) {
          return fail(TerminalCloseCode.VersionMismatch, `protocol version ${msg.version} is not supported (paddockd speaks ${PROTOCOL_VERSION}); update your client`);
        }
        started = true;
        void this.start(sock, name, sessionId, msg.cols, msg.rows, opts.scrollbackLines ?? SCROLLBACK_REPLAY_LINES, () => (sawExit = true), actor)
          .then((e) => {
            if (closed) {
              e.stream.write(DETACH_KEY);
              setTimeout(() => e.stream.destroy(), DETACH_GRACE_MS).unref();
              return;
            }
            exec = e;
            flow = new FlowController(() => e.stream.pause(), () => e.stream.resume());
            e.stream.on('data', (chunk: Buffer) => {
              if (closed) return;
              const codes = scanner.scan(chunk);
              // the marker is for paddockd; viewers get the exit as a control message instead
              const data = codes.length ? stripExitMarkers(chunk) : chunk;
              for (const code of codes) {
                sawExit = true;
                sock.sendJson({ type: 'exit', code });
              }
              flow!.sent(data.length);
              if (data.length) sock.sendBinary(data);
            });
            // The agent may exit between the status read in start() and our client attaching, and
            // its exit marker then goes to nobody: read the status once more after attaching.
            if (sessionId === 'agent') {
              setTimeout(() => {
                if (closed || sawExit) return;
                void this.sandboxes.get(name).then((s) => this.sandboxes.agentStatus(s)).then(
                  (st) => { if (!closed && !sawExit && st.state === 'exited') { sawExit = true; sock.sendJson({ type: 'exit', code: st.code }); } },
                  () => undefined,
                );
              }, EXIT_RECHECK_MS).unref();
            }
            void e.wait().then(() => {
              if (closed) return;
              closed = true;
              sock.close(TerminalCloseCode.SessionEnded, 'session ended');
              this.viewers.delete(teardown);
            });
          })
          .catch((err: unknown) => {
            const pe = err instanceof PaddockError ? err : null;
            const code = pe?.code === ErrorCode.NotFound ? TerminalCloseCode.NotFound : pe?.code === ErrorCode.Conflict ? TerminalCloseCode.SessionEnded : TerminalCloseCode.Internal;
            this.ctx.log.warn({ sandbox: name, session: sessionId, err: String(err) }, 'terminal attach failed');
            fail(code, pe?.message ?? 'could not attach to the session');
          });
        return;
      }
      if (!started) return fail(TerminalCloseCode.ProtocolError, 'send a hello message first');
      if (msg.type === 'resize') void exec?.resize(msg.cols, msg.rows);
      else if (msg.type === 'ack') flow?.acked(msg.bytes);
      else if (msg.type === 'restart') {
        if (sessionId !== 'agent') return;
        void this.sandboxes.restartAgent(name, actor).then(
          () => !closed && sock.sendJson({ type: 'restarted' }),
          (err: unknown) => !closed && sock.sendJson({ type: 'error', code: 'restart_failed', message: String((err as Error).message) }),
        );
      }
    });
  }

  private async start(sock: ViewerSocket, name: string, sessionId: string, cols: number, rows: number, scrollback: number, onExitKnown: () => void, actor: Actor): Promise<TtyExec> {
    await this.afterSweep(name);
    const s = await this.running(name);
    if (!SESSION_ID_RE.test(sessionId)) throw new PaddockError(ErrorCode.BadInput, `"${sessionId}" is not a session id (agent or shell-N).`);
    // One exec for what the viewer needs before attaching (session check, agent state, scrollback),
    // started together with the TTY exec: each is a round trip through the engine, and attach
    // time is what a person waits for. The TTY's first bytes wait in its stream until the hello
    // and the scrollback have gone out.
    const lines = scrollback > 0 ? Math.min(scrollback, SCROLLBACK_REPLAY_LINES) : 0;
    const preattach = this.ctx.engine.containers.exec(s.id, { cmd: ['paddock-ctl', 'preattach', sessionId, String(lines)], user: `${s.uid}:${s.gid}` });
    const tty = this.ctx.engine.containers.execTty(s.id, {
      cmd: ['tmux', '-S', tmuxSocketOf(sessionId), 'attach-session', '-t', `=${sessionId}`],
      user: `${s.uid}:${s.gid}`,
      env: ['TERM=xterm-256color', 'COLORTERM=truecolor', 'LANG=C.UTF-8'],
      cols,
      rows,
    });
    const abandonTty = () => tty.then((t) => t.stream.destroy(), () => undefined);
    const pre = await preattach.catch(async (err: unknown) => {
      await abandonTty();
      throw err;
    });
    if (pre.exitCode === 3) {
      await abandonTty();
      throw new PaddockError(ErrorCode.NotFound, `Sandbox "${s.name}" has no session "${sessionId}". List them with GET /sessions or open a new shell.`);
    }
    const exec = await tty;
    const { status, history } = parsePreattach(pre.stdout.toString('utf8'), sessionId);
    sock.sendJson({
      type: 'hello',
      version: PROTOCOL_VERSION,
      session: sessionId,
      sandbox: name,
      agentState: status?.state ?? (sessionId === 'agent' ? 'unknown' : 'running'),
      exitCode: status?.code ?? null,
    });
    if (history.length) {
      // History lines, then one screen of newlines so all of it scrolls into the viewer's
      // scrollback before tmux clears and draws the visible screen.
      sock.sendBinary(Buffer.from(history.replace(/\r?\n/g, '\r\n') + '\x1b[0m' + '\r\n'.repeat(rows), 'utf8'));
    }
    this.ctx.log.info({ sandbox: name, session: sessionId, actor }, 'terminal attached');
    this.sandboxes.record(actor, 'terminal.attach', name, { session: sessionId });
    exec.stream.once('close', () => this.sandboxes.record(actor, 'terminal.detach', name, { session: sessionId }));
    if (status?.state === 'exited') {
      onExitKnown();
      setTimeout(() => sock.sendJson({ type: 'exit', code: status.code }), EXIT_NOTICE_SETTLE_MS).unref();
    }
    return exec;
  }

  closeAll(): void {
    for (const t of [...this.viewers]) t();
  }
}

/** Splits `paddock-ctl preattach` output: the scrollback, then a last line with the agent's state. */
export function parsePreattach(out: string, sessionId: string): { status: { state: 'running' | 'exited'; code: number | null } | null; history: string } {
  const body = out.replace(/\n$/, '');
  const nl = body.lastIndexOf('\n');
  const last = (nl < 0 ? body : body.slice(nl + 1)).trim();
  const history = nl < 0 ? '' : body.slice(0, nl);
  let status: { state: 'running' | 'exited'; code: number | null } | null = null;
  if (sessionId === 'agent') {
    const m = /^exited (-?\d+)?/.exec(last);
    status = m ? { state: 'exited', code: m[1] !== undefined ? Number(m[1]) : null } : last === 'running' ? { state: 'running', code: null } : null;
  }
  return { status, history };
}
