/**
 * Server name (SNI) of a TLS ClientHello, so a CONNECT tunnel to an allowed host cannot carry a
 * handshake for another one (domain fronting through a shared CDN address).
 */

export const MAX_CLIENT_HELLO_BYTES = 16 * 1024 + 5; // one TLS record at most; a larger hello is not parsed

export type SniResult =
  | { kind: 'incomplete' } // need more bytes
  | { kind: 'not-tls' } // the tunnel does not start with a TLS handshake
  | { kind: 'no-sni' }
  | { kind: 'sni'; name: string };

export function readSni(buf: Buffer): SniResult {
  if (buf.length < 1) return { kind: 'incomplete' };
  if (buf[0] !== 0x16) return { kind: 'not-tls' };
  if (buf.length < 5) return { kind: 'incomplete' };
  const recordLen = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLen) return buf.length >= MAX_CLIENT_HELLO_BYTES ? { kind: 'no-sni' } : { kind: 'incomplete' };
  const end = 5 + recordLen;
  let p = 5;
  if (buf[p] !== 0x01) return { kind: 'no-sni' }; // not a ClientHello
  p += 4 + 2 + 32; // handshake header, client version, random
  if (p + 1 > end) return { kind: 'no-sni' };
  p += 1 + buf[p]!; // session id
  if (p + 2 > end) return { kind: 'no-sni' };
  p += 2 + buf.readUInt16BE(p); // cipher suites
  if (p + 1 > end) return { kind: 'no-sni' };
  p += 1 + buf[p]!; // compression methods
  if (p + 2 > end) return { kind: 'no-sni' };
  const extEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (type === 0 && p + 5 <= extEnd) {
      // server_name_list: length(2), then entries of type(1) length(2) name
      let q = p + 2;
      const listEnd = Math.min(p + len, extEnd);
      while (q + 3 <= listEnd) {
        const nameType = buf[q]!;
        const nameLen = buf.readUInt16BE(q + 1);
        if (nameType === 0 && q + 3 + nameLen <= listEnd) {
          return { kind: 'sni', name: buf.subarray(q + 3, q + 3 + nameLen).toString('latin1').toLowerCase().replace(/\.$/, '') };
        }
        q += 3 + nameLen;
      }
      return { kind: 'no-sni' };
    }
    p += len;
  }
  return { kind: 'no-sni' };
}
