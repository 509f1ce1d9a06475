/**
 * Auth for the TCP listener: a bearer token (random, stored 0600, compared in constant time),
 * one-time login tokens exchanged for an HMAC-signed session cookie (survives paddockd
 * restarts), and short-lived terminal tokens for the Docker Desktop UI's WebSocket.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const LOGIN_TOKEN_TTL_MS = 10 * 60_000; // a login link is good for ten minutes, once
export const SESSION_TTL_MS = 30 * 24 * 3600_000; // a dashboard session lasts a month
export const TERMINAL_TOKEN_TTL_MS = 5 * 60_000; // Docker Desktop asks for a fresh one per connection
export const SESSION_COOKIE = 'paddock_session';

export function loadOrCreateToken(path: string): string {
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (t.length >= 32) {
      chmodSync(path, 0o600);
      return t;
    }
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

export function safeEqual(a: string, b: string): boolean {
  const A = Buffer.from(a);
  const B = Buffer.from(b);
  if (A.length !== B.length) {
    timingSafeEqual(A, A); // same work either way
    return false;
  }
  return timingSafeEqual(A, B);
}

export class Auth {
  private readonly loginTokens = new Map<string, number>();
  private readonly terminalTokens = new Map<string, number>();

  constructor(private readonly token: string) {}

  checkBearer(header: string | undefined): boolean {
    if (!header?.startsWith('Bearer ')) return false;
    return safeEqual(header.slice(7).trim(), this.token);
  }

  newLoginToken(now = Date.now()): string {
    this.prune(now);
    const t = randomBytes(24).toString('hex');
    this.loginTokens.set(t, now + LOGIN_TOKEN_TTL_MS);
    return t;
  }

  /** Single use: consumes the token. */
  redeemLoginToken(t: string, now = Date.now()): boolean {
    const exp = this.loginTokens.get(t);
    this.loginTokens.delete(t);
    return exp !== undefined && exp > now;
  }

  newTerminalToken(now = Date.now()): { token: string; expiresAt: number } {
    this.prune(now);
    const t = randomBytes(24).toString('hex');
    const expiresAt = now + TERMINAL_TOKEN_TTL_MS;
    this.terminalTokens.set(t, expiresAt);
    return { token: t, expiresAt };
  }

  checkTerminalToken(t: string, now = Date.now()): boolean {
    const exp = this.terminalTokens.get(t);
    return exp !== undefined && exp > now;
  }

  newSessionCookie(now = Date.now()): string {
    const exp = String(now + SESSION_TTL_MS);
    return `${exp}.${this.sign(exp)}`;
  }

  checkSessionCookie(value: string | undefined, now = Date.now()): boolean {
    if (!value) return false;
    const [exp, sig] = value.split('.');
    if (!exp || !sig || !/^\d+$/.test(exp) || Number(exp) < now) return false;
    return safeEqual(sig, this.sign(exp));
  }

  private sign(v: string): string {
    return createHmac('sha256', this.token).update(`session:${v}`).digest('hex');
  }

  private prune(now: number): void {
    for (const [k, e] of this.loginTokens) if (e <= now) this.loginTokens.delete(k);
    for (const [k, e] of this.terminalTokens) if (e <= now) this.terminalTokens.delete(k);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
