import { describe, expect, it } from 'vitest';
import { Auth, LOGIN_TOKEN_TTL_MS, readCookie, safeEqual } from './auth.js';

describe('auth', () => {
  const auth = new Auth('a'.repeat(64));
  it('checks bearer tokens exactly', () => {
    expect(auth.checkBearer(`Bearer ${'a'.repeat(64)}`)).toBe(true);
    expect(auth.checkBearer(`Bearer ${'a'.repeat(63)}b`)).toBe(false);
    expect(auth.checkBearer(undefined)).toBe(false);
    expect(safeEqual('x', 'xy')).toBe(false);
  });
  it('login tokens work once and expire', () => {
    const t = auth.newLoginToken(0);
    expect(auth.redeemLoginToken(t, 1)).toBe(true);
    expect(auth.redeemLoginToken(t, 2)).toBe(false);
    const late = auth.newLoginToken(0);
    expect(auth.redeemLoginToken(late, LOGIN_TOKEN_TTL_MS + 1)).toBe(false);
  });
  it('session cookies are signed and survive a new Auth with the same token', () => {
    const c = auth.newSessionCookie();
    expect(new Auth('a'.repeat(64)).checkSessionCookie(c)).toBe(true);
    expect(new Auth('b'.repeat(64)).checkSessionCookie(c)).toBe(false);
    expect(auth.checkSessionCookie(c.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')))).toBe(false);
    expect(auth.checkSessionCookie('99999999999999.forged')).toBe(false);
  });
  it('reads cookies', () => expect(readCookie('a=1; paddock_session=x.y', 'paddock_session')).toBe('x.y'));
});
