/** Reconnect delays shared by the event feed and terminal sockets. */
export const RECONNECT_BASE_MS = 500; // first retry is quick: most drops are a daemon restart
export const RECONNECT_MAX_MS = 15_000; // never leave a user staring at a dead pane longer than this
export const RECONNECT_JITTER = 0.2; // ±20% so many panes do not reconnect in lock-step

/** Exponential backoff with jitter; `random` is injectable for tests. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, attempt));
  const jitter = 1 + (random() * 2 - 1) * RECONNECT_JITTER;
  return Math.round(Math.min(RECONNECT_MAX_MS, base * jitter));
}
