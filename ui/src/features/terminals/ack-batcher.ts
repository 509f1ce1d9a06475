import { FLOW_ACK_BYTES } from '../../core';

/**
 * Flow control, viewer side: count bytes xterm has finished writing (its write callback) and
 * acknowledge them in batches of FLOW_ACK_BYTES, so paddockd keeps at most FLOW_HIGH_WATERMARK
 * bytes in flight to this pane. `yes` in a sandbox therefore runs at the speed the page can
 * paint, and Ctrl-C is never stuck behind megabytes of queued output.
 */
export class AckBatcher {
  private pending = 0;
  constructor(
    private readonly send: (bytes: number) => void,
    private readonly batch = FLOW_ACK_BYTES,
  ) {}

  /** xterm wrote `n` more bytes. */
  written(n: number): void {
    if (n <= 0) return;
    this.pending += n;
    if (this.pending >= this.batch) {
      const bytes = this.pending;
      this.pending = 0;
      this.send(bytes);
    }
  }

  /** A new connection starts counting from zero: the server forgot the old one's debt. */
  reset(): void {
    this.pending = 0;
  }

  get unacked(): number {
    return this.pending;
  }
}
