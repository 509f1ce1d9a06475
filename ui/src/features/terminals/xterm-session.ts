/**
 * One xterm.js terminal bound to one paddockd session. Owns the Terminal, its addons, the
 * socket and the resize observer, and disposes all of them. Loaded lazily (xterm is the
 * biggest part of the bundle and the first screen does not need it).
 */
import { ClipboardAddon } from '@xterm/addon-clipboard';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import type { WebglAddon } from '@xterm/addon-webgl';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { clipboardAction, isMacPlatform } from './clipboard-keys';
import { TerminalConnection, type ConnectionState } from './terminal-connection';

export const SCROLLBACK_LINES = 10_000; // matches what paddockd replays on attach
const FIT_DEBOUNCE_MS = 50; // coalesce the burst of ResizeObserver callbacks while a splitter is dragged

export const TERMINAL_THEMES: Record<'light' | 'dark', ITheme> = {
  dark: { background: '#1b1c1f', foreground: '#e9eaec', cursor: '#8fc7f7', selectionBackground: '#1d63ed66' },
  light: {
    background: '#ffffff',
    foreground: '#17191e',
    cursor: '#1d63ed',
    selectionBackground: '#1d63ed40',
    // xterm's default palette is made for dark backgrounds; darken the pale ones.
    yellow: '#8a6d00',
    brightYellow: '#a07d00',
    white: '#6c7e9d',
    brightWhite: '#394150',
  },
};

export interface XtermSessionOptions {
  id: string;
  endpoint: () => Promise<string>;
  mode: 'light' | 'dark';
  onState: (s: ConnectionState) => void;
  onFind: () => void;
}

/** Test hook: e2e reads what a pane shows from the xterm buffer (the WebGL renderer has no DOM text). */
export interface TerminalProbe {
  text(): string;
  size(): { cols: number; rows: number };
  renderer(): 'webgl' | 'dom';
}
declare global {
  interface Window {
    __paddockTerminals?: Record<string, TerminalProbe>;
  }
}

export class XtermSession {
  readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly searchAddon = new SearchAddon();
  private webgl: WebglAddon | null = null;
  private webglWanted = false;
  private webglLoading = false;
  private disposed = false;
  private conn: TerminalConnection | null = null;
  private readonly disposers: (() => void)[] = [];
  private fitTimer: ReturnType<typeof setTimeout> | undefined;
  private el: HTMLElement | null = null;

  constructor(private readonly opts: XtermSessionOptions) {
    this.term = new Terminal({
      allowProposedApi: true, // unicode11 needs it
      scrollback: SCROLLBACK_LINES,
      fontFamily: '"JetBrains Mono", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: true,
      macOptionIsMeta: true,
      theme: TERMINAL_THEMES[opts.mode],
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.searchAddon);
    this.term.loadAddon(new WebLinksAddon());
    this.term.loadAddon(new ClipboardAddon()); // OSC 52 from programs in the sandbox
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';

    const mac = isMacPlatform();
    this.term.attachCustomKeyEventHandler((ev) => {
      const action = clipboardAction(ev, this.term.hasSelection(), mac);
      if (action === 'copy') {
        ev.preventDefault(); // Ctrl+Shift+C would open the browser's inspector
        void navigator.clipboard?.writeText(this.term.getSelection()).catch(() => {});
        return false;
      }
      if (action === 'paste') return false; // the browser's own paste event follows and xterm handles it
      if (action === 'find') {
        ev.preventDefault();
        opts.onFind();
        return false;
      }
      return true;
    });
    const data = this.term.onData((d) => this.conn?.sendInput(d));
    const binary = this.term.onBinary((d) => this.conn?.sendInput(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
    const resize = this.term.onResize(({ cols, rows }) => this.conn?.resize(cols, rows));
    this.disposers.push(
      () => data.dispose(),
      () => binary.dispose(),
      () => resize.dispose(),
    );

    const probes = (window.__paddockTerminals ??= {});
    probes[opts.id] = {
      text: () => {
        const buf = this.term.buffer.active;
        const lines: string[] = [];
        for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
        return lines.join('\n');
      },
      size: () => ({ cols: this.term.cols, rows: this.term.rows }),
      renderer: () => (this.webgl ? 'webgl' : 'dom'),
    };
    this.disposers.push(() => {
      if (window.__paddockTerminals?.[opts.id]) delete window.__paddockTerminals[opts.id];
    });
  }

  attach(el: HTMLElement): void {
    this.el = el;
    this.term.open(el);
    const ro = new ResizeObserver(() => this.scheduleFit());
    ro.observe(el);
    this.disposers.push(() => ro.disconnect());
    this.fit();
  }

  /** Connects (once); called while the sandbox is running. */
  connect(): void {
    if (this.conn) return;
    this.conn = new TerminalConnection({
      endpoint: this.opts.endpoint,
      size: () => ({ cols: this.term.cols, rows: this.term.rows }),
      onOutput: (bytes, done) => this.term.write(bytes, done),
      // The server replays scrollback after every hello: start from a clean screen so a
      // reconnect does not show everything twice.
      onHello: () => this.term.reset(),
      onState: this.opts.onState,
    });
    this.conn.connect();
  }

  /** Drops the socket but keeps the screen (the sandbox stopped). */
  disconnect(): void {
    this.conn?.dispose();
    this.conn = null;
  }

  /**
   * WebGL only while on screen: browsers cap live WebGL contexts (~16) and hidden panes need
   * none. The addon is its own lazy chunk, fetched the first time a pane is shown.
   */
  setVisible(visible: boolean): void {
    this.webglWanted = visible;
    if (visible && !this.webgl && this.el && !this.webglLoading) {
      this.webglLoading = true;
      import('@xterm/addon-webgl').then(
        ({ WebglAddon }) => {
          this.webglLoading = false;
          if (!this.webglWanted || this.disposed || this.webgl) return;
          try {
            const webgl = new WebglAddon();
            webgl.onContextLoss(() => this.dropWebgl());
            this.term.loadAddon(webgl);
            this.webgl = webgl;
          } catch {
            this.webgl = null; // no WebGL here: xterm's DOM renderer carries on
          }
        },
        () => {
          this.webglLoading = false;
        },
      );
    } else if (!visible) this.dropWebgl();
    if (visible) this.scheduleFit();
  }

  private dropWebgl(): void {
    this.webgl?.dispose();
    this.webgl = null;
  }

  setMode(mode: 'light' | 'dark'): void {
    this.term.options.theme = TERMINAL_THEMES[mode];
  }

  private scheduleFit(): void {
    clearTimeout(this.fitTimer);
    this.fitTimer = setTimeout(() => this.fit(), FIT_DEBOUNCE_MS);
  }

  private fit(): void {
    // A hidden pane measures 0×0; fitting it would tell the agent its screen is 2 columns wide.
    if (!this.el || this.el.offsetWidth === 0 || this.el.offsetHeight === 0) return;
    try {
      this.fitAddon.fit();
    } catch {
      // not rendered yet
    }
  }

  findNext(q: string): boolean {
    return q ? this.searchAddon.findNext(q, { incremental: true }) : false;
  }
  findPrevious(q: string): boolean {
    return q ? this.searchAddon.findPrevious(q) : false;
  }
  clearSearch(): void {
    this.searchAddon.clearDecorations();
  }

  focus(): void {
    this.term.focus();
  }
  restartAgent(): void {
    this.conn?.restart();
  }
  retryNow(): void {
    this.conn?.retryNow();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.fitTimer);
    this.disconnect();
    for (const d of this.disposers.splice(0).reverse()) d();
    this.dropWebgl();
    this.term.dispose();
  }
}
