import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { readSni } from './tls-sni.js';

/** A real ClientHello, as node's TLS client sends it. */
function clientHello(servername?: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      s.once('data', (b: Buffer) => {
        resolve(b);
        s.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const c = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
      c.on('error', () => c.destroy());
    });
  });
}

describe('readSni', () => {
  it('reads the server name of a real ClientHello', async () => {
    const hello = await clientHello('API.Example.test');
    expect(readSni(hello)).toEqual({ kind: 'sni', name: 'api.example.test' });
    expect(readSni(hello.subarray(0, 20))).toEqual({ kind: 'incomplete' });
  });
  it('says when there is no server name or no TLS', async () => {
    expect(readSni(await clientHello())).toEqual({ kind: 'no-sni' });
    expect(readSni(Buffer.from('SSH-2.0-OpenSSH\r\n'))).toEqual({ kind: 'not-tls' });
  });
});
