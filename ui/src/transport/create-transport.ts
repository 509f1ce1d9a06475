import { DockerDesktopTransport } from './dd-transport';
import { HttpTransport } from './http-transport';
import type { Transport } from './transport';

/** Docker Desktop injects `window.ddClient` into extension pages; anywhere else we are the standalone dashboard. */
export function createTransport(): Transport {
  const dd = (window as { ddClient?: ConstructorParameters<typeof DockerDesktopTransport>[0] }).ddClient;
  return dd ? new DockerDesktopTransport(dd) : new HttpTransport();
}
