/**
 * Answers xterm.js sends by itself to terminal queries (device attributes, cursor position,
 * colours, DECRQSS). The only program that talks to this xterm directly is the tmux client
 * paddockd attaches (tmux answers the programs inside the session itself), and its device-
 * attribute probes come back as keystrokes in the shell ("1;2c0;276;0c" at the prompt), at
 * attach time or seconds later on a busy host. So device-attribute answers are always dropped;
 * other answers only while attaching.
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
const DEVICE_ATTRIBUTES_ONLY = /^(?:\x1b\[[?>=][\d;]*c|\x1bP>\|[^\x1b]*\x1b\\)+$/;

export function isTerminalReport(data: string): boolean {
  return data.length > 2 && REPORTS_ONLY.test(data);
}

/** DA1/DA2/DA3 and XTVERSION answers: only tmux's client asks for them, and it does not need them. */
export function isDeviceAttributesReport(data: string): boolean {
  return data.length > 2 && DEVICE_ATTRIBUTES_ONLY.test(data);
}

/** How long after the server's hello automatic answers are dropped: replay + tmux attach take well under this. */
export const ATTACH_QUIET_MS = 2_000;
