/**
 * Per-viewer flow control: count bytes sent but not yet acknowledged by the viewer's terminal,
 * pause the source above the high watermark and resume below the low one. No I/O.
 */
import { FLOW_HIGH_WATERMARK, FLOW_LOW_WATERMARK } from '../core/protocol.js';

export class FlowController {
  private unacked = 0;
  private paused = false;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
    private readonly high = FLOW_HIGH_WATERMARK,
    private readonly low = FLOW_LOW_WATERMARK,
  ) {}

  sent(bytes: number): void {
    this.unacked += bytes;
    if (!this.paused && this.unacked > this.high) {
      this.paused = true;
      this.pause();
    }
  }

  acked(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.paused && this.unacked < this.low) {
      this.paused = false;
      this.resume();
    }
  }

  get pending(): number {
    return this.unacked;
  }

  get isPaused(): boolean {
    return this.paused;
  }
}
