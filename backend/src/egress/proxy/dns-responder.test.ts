import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsResponder, parseQuery } from './dns-responder.js';

function query(name: string, type: number, id = 0x1234): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, type, 0, 1])]);
}

let mode: 'open' | 'closed' | null = 'closed';
const dns = new DnsResponder({ host: '127.0.0.1', port: 0, modeOf: () => mode });

function ask(msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no answer')), 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, dns.port(), '127.0.0.1');
  });
}

beforeAll(() => dns.start());
afterAll(() => dns.close());

describe('DnsResponder', () => {
  it('parses a question', () => {
    expect(parseQuery(query('Api.Example.com', 1))).toMatchObject({ id: 0x1234, name: 'api.example.com', type: 1 });
    expect(parseQuery(Buffer.from([1, 2, 3]))).toBeNull();
  });

  it('refuses at once for sandboxes not in open mode', async () => {
    mode = 'closed';
    const r = await ask(query('leak.example', 1));
    expect(r.readUInt16BE(0)).toBe(0x1234);
    expect(r.readUInt16BE(2) & 0x8000).toBe(0x8000);
    expect(r.readUInt16BE(2) & 0xf).toBe(5);
    expect(r.readUInt16BE(6)).toBe(0);
  });

  it('answers A queries for open-mode sandboxes', async () => {
    mode = 'open';
    const r = await ask(query('localhost', 1, 7));
    expect(r.readUInt16BE(2) & 0xf).toBe(0);
    expect(r.readUInt16BE(6)).toBeGreaterThan(0);
    expect([...r.subarray(r.length - 4)]).toEqual([127, 0, 0, 1]);
  });
});
