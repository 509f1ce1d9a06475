/**
 * The sandboxes' upstream DNS server. The engine's embedded DNS (127.0.0.11 inside each sandbox)
 * answers Paddock's own names and forwards everything else here (the sandbox's Dns setting is the
 * proxy's address). Sandboxes in `allowlist` or `none` mode get REFUSED at once — nothing leaves
 * and tools that ignore HTTP_PROXY fail fast instead of hanging on timeouts. Sandboxes in `open`
 * mode get real answers (A/AAAA) looked up by the proxy.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';

export const DNS_PORT = 53;
export const DNS_TTL_SECONDS = 30; // short: an open-mode answer should not outlive a mode change by much
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
const TYPE_A = 1;
const TYPE_AAAA = 28;
const MAX_ANSWERS = 8; // keeps every answer well below the 512-byte UDP limit

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  type: number;
  questionEnd: number;
}

/** Parse the first question of a query, or null for anything malformed. */
export function parseQuery(msg: Buffer): DnsQuestion | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  if (msg.readUInt16BE(4) < 1) return null;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= msg.length) return null;
    const len = msg[i]!;
    if (len === 0) {
      i++;
      break;
    }
    if (len > 63 || i + 1 + len > msg.length) return null; // no compression in questions
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  if (i + 4 > msg.length) return null;
  return { id: msg.readUInt16BE(0), flags, name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i), questionEnd: i + 4 };
}

export function buildResponse(query: Buffer, q: DnsQuestion, rcode: number, addresses: string[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR=1, opcode and RD copied from the query, RA=1.
  header.writeUInt16BE(0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const question = query.subarray(12, q.questionEnd);
  const answers = addresses.map((a) => {
    const v4 = q.type === TYPE_A;
    const rdata = v4 ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(q.type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(DNS_TTL_SECONDS, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, question, ...answers]);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return b;
}

export interface DnsResponderOptions {
  host: string;
  port: number;
  /** Is the source address a sandbox in open mode? (null: not a sandbox at all) */
  modeOf: (source: string) => 'open' | 'closed' | null;
}

export class DnsResponder {
  private socket: dgram.Socket | null = null;

  constructor(private readonly opts: DnsResponderOptions) {}

  async start(): Promise<void> {
    const s = dgram.createSocket('udp4');
    s.on('message', (msg, rinfo) => void this.answer(s, msg, rinfo));
    s.on('error', () => {
      // a bad datagram must not take the proxy down
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.opts.port, this.opts.host, () => resolve());
    });
    this.socket = s;
  }

  port(): number {
    return this.socket?.address().port ?? 0;
  }

  private async answer(s: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const q = parseQuery(msg);
    if (!q) return;
    const mode = this.opts.modeOf(rinfo.address);
    let reply: Buffer;
    if (mode !== 'open' || (q.type !== TYPE_A && q.type !== TYPE_AAAA)) {
      reply = buildResponse(msg, q, mode === 'open' ? RCODE_NOERROR : RCODE_REFUSED);
    } else {
      try {
        const found = await lookup(q.name, { all: true, family: q.type === TYPE_A ? 4 : 6 });
        reply = buildResponse(msg, q, RCODE_NOERROR, found.slice(0, MAX_ANSWERS).map((f) => f.address));
      } catch {
        reply = buildResponse(msg, q, RCODE_NXDOMAIN);
      }
    }
    s.send(reply, rinfo.port, rinfo.address);
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    return new Promise((r) => (s ? s.close(() => r()) : r()));
  }
}
