/**
 * Answers xterm.js sends by itself to terminal queries (device attributes, cursor position,
 * colours, DECRQSS). While a pane attaches, paddockd replays scrollback and tmux probes the
 * terminal; answers produced then reach the shell as if typed ("1;2c0;276;0c" at the prompt),
 * because nothing is waiting for them any more. They are dropped during that window only.
 */
const REPORT = [
  '\\x1b\\[\\?[\\d;]*c', // DA1
  '\\x1b\\[>[\\d;]*c', // DA2
  '\\x1b\\[=[\\d;]*c', // DA3
  '\\x1b\\[\\d+;\\d+R', // cursor position (CPR)
  '\\x1b\\[\\??\\d+n', // device status
  '\\x1b\\[\\?[\\d;]*\\$y', // DECRPM mode report
  '\\x1b\\][0-9;]*;?rgb:[0-9a-fA-F/]+(?:\\x07|\\x1b\\\\)', // OSC 4/10/11/12 colour answers
  '\\x1bP[01]?[!>|$][\\s\\S]*?\\x1b\\\\', // DCS answers (DECRQSS, XTVERSION)
].join('|');
const REPORTS_ONLY = new RegExp(`^(?:${REPORT})+$`);

export function isTerminalReport(data: string): boolean {
  return data.length > 2 && REPORTS_ONLY.test(data);
}

/** How long after the server's hello automatic answers are dropped: replay + tmux attach take well under this. */
export const ATTACH_QUIET_MS = 2_000;
