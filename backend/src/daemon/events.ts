/** In-process fan-out of PaddockEvents to SSE subscribers. */
import type { PaddockEvent } from '../core/protocol.js';

export type EventListener = (e: PaddockEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit(e: PaddockEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // one broken subscriber must not stop the others
      }
    }
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get size(): number {
    return this.listeners.size;
  }
}
