/**
 * Finds the agent-exit marker that paddock-agent-run emits through tmux passthrough:
 * ESC ] 7777 ; paddock-exit=<code> BEL. Chunks may split it, so a short tail is carried over.
 */
const MARKER = Buffer.from('\x1b]7777;paddock-exit=');
const MAX_TAIL = MARKER.length + 8; // marker + up to a few digits and the BEL

export class ExitMarkerScanner {
  private tail: Buffer = Buffer.alloc(0);

  /** Returns the exit codes found in this chunk (usually none). */
  scan(chunk: Buffer): number[] {
    const buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const codes: number[] = [];
    let from = 0;
    for (;;) {
      const at = buf.indexOf(MARKER, from);
      if (at < 0) break;
      const end = buf.indexOf(0x07, at + MARKER.length);
      if (end < 0) {
        this.tail = Buffer.from(buf.subarray(at));
        return codes;
      }
      const code = Number(buf.subarray(at + MARKER.length, end).toString('latin1'));
      if (Number.isInteger(code)) codes.push(code);
      from = end + 1;
    }
    // keep only what could be the start of a marker split across chunks
    const keep = Math.min(MAX_TAIL, buf.length - from);
    const start = buf.length - keep;
    const escAt = buf.lastIndexOf(0x1b, buf.length - 1);
    this.tail = escAt >= start && escAt >= from ? Buffer.from(buf.subarray(escAt)) : Buffer.alloc(0);
    return codes;
  }
}

// eslint-disable-next-line no-control-regex
const MARKER_RE = /\x1b\]7777;paddock-exit=\d*\x07/g;

/** The chunk without complete exit markers. */
export function stripExitMarkers(chunk: Buffer): Buffer {
  return Buffer.from(chunk.toString('latin1').replace(MARKER_RE, ''), 'latin1');
}
