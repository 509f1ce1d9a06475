/**
 * Loads a lazy chunk, trying again a few times before giving up. On Linux, Chromium aborts
 * requests in flight whenever the machine's network changes (net::ERR_NETWORK_CHANGED), and
 * Paddock itself changes it: every sandbox launch creates an engine network.
 */
export function lazyRetry<T>(load: () => Promise<T>, tries = 3, delayMs = 300): Promise<T> {
  return load().catch(async (e: unknown) => {
    if (tries <= 1) throw e;
    await new Promise((r) => setTimeout(r, delayMs));
    return lazyRetry(load, tries - 1, delayMs * 2);
  });
}
