import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { PaddockError } from '../core/errors.js';
import { KEY_FILE_NAME, SecretStore, STORE_FILE_NAME } from './store.js';

const VALUE = 'sk-ant-api03-THIS-IS-THE-REAL-KEY-1234567890';

describe('SecretStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'paddock-secrets-'));
  });

  it('keeps no plaintext on disk: not the value, not the name', async () => {
    const store = new SecretStore(dir);
    await store.set('ANTHROPIC_API_KEY', 'global', VALUE);
    await store.set('GITHUB_TOKEN', 'agent:claude', 'ghp_abcdefghijklmnop');
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(VALUE), f).toBe(false);
      expect(bytes.includes('ghp_abcdefghijklmnop'), f).toBe(false);
      expect(bytes.includes(Buffer.from(VALUE).toString('base64')), f).toBe(false);
      expect(bytes.includes('ANTHROPIC_API_KEY'), f).toBe(false);
    }
    expect(readdirSync(dir).sort()).toEqual([KEY_FILE_NAME, STORE_FILE_NAME].sort()); // no tmp files left behind
  });

  it('creates a 32-byte key with mode 0600 on first write only, and reopens the store with it', async () => {
    const store = new SecretStore(dir);
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]); // a read creates nothing
    await store.set('A_TOKEN', 'global', VALUE);
    const key = statSync(join(dir, KEY_FILE_NAME));
    expect(key.size).toBe(32);
    expect(key.mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, STORE_FILE_NAME)).mode & 0o777).toBe(0o600);
    const again = new SecretStore(dir);
    expect(again.resolve('A_TOKEN', { sandbox: 's', agent: 'claude' })?.value).toBe(VALUE);
  });

  it('lists names, scopes and times without values', async () => {
    const store = new SecretStore(dir, { now: () => new Date('2026-01-02T03:04:05Z') });
    await store.set('B_KEY', 'sandbox:web-1', VALUE);
    await store.set('A_KEY', 'global', VALUE);
    const list = store.list();
    expect(list).toEqual([
      { name: 'A_KEY', scope: 'global', updatedAt: '2026-01-02T03:04:05.000Z' },
      { name: 'B_KEY', scope: 'sandbox:web-1', updatedAt: '2026-01-02T03:04:05.000Z' },
    ]);
    expect(JSON.stringify(list)).not.toContain(VALUE);
  });

  it('resolves the narrowest scope: sandbox, then agent, then global', async () => {
    const store = new SecretStore(dir);
    await store.set('K', 'global', 'global-value');
    await store.set('K', 'agent:claude', 'agent-value');
    await store.set('K', 'sandbox:one', 'sandbox-value');
    expect(store.resolve('K', { sandbox: 'one', agent: 'claude' })).toMatchObject({ value: 'sandbox-value', scope: 'sandbox:one' });
    expect(store.resolve('K', { sandbox: 'two', agent: 'claude' })).toMatchObject({ value: 'agent-value' });
    expect(store.resolve('K', { sandbox: 'two', agent: 'codex' })).toMatchObject({ value: 'global-value' });
    expect(store.resolve('OTHER', { sandbox: 'two', agent: 'codex' })).toBeNull();
  });

  it('removes one scope and reports whether it was there', async () => {
    const store = new SecretStore(dir);
    await store.set('K', 'global', VALUE);
    await store.set('K', 'agent:claude', VALUE);
    expect(await store.remove('K', 'agent:claude')).toBe(true);
    expect(await store.remove('K', 'agent:claude')).toBe(false);
    expect(new SecretStore(dir).list().map((s) => s.scope)).toEqual(['global']);
  });

  it('refuses bad names and scopes', async () => {
    const store = new SecretStore(dir);
    await expect(store.set('lower', 'global', VALUE)).rejects.toThrow(/not a valid secret name/);
    await expect(store.set('../X', 'global', VALUE)).rejects.toThrow(PaddockError);
    await expect(store.set('OK', 'team:x' as never, VALUE)).rejects.toThrow(/not a valid scope/);
  });

  it('serializes concurrent writes: none is lost', async () => {
    const store = new SecretStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`K_${i}`, 'global', `value-${i}`)));
    expect(new SecretStore(dir).list()).toHaveLength(20);
  });

  describe('a key that does not open the store', () => {
    async function seeded(): Promise<{ store: Buffer; key: Buffer }> {
      await new SecretStore(dir).set('K', 'global', VALUE);
      return { store: readFileSync(join(dir, STORE_FILE_NAME)), key: readFileSync(join(dir, KEY_FILE_NAME)) };
    }
    function unchanged(before: { store: Buffer; key: Buffer }, key = before.key): void {
      expect(readFileSync(join(dir, STORE_FILE_NAME)).equals(before.store)).toBe(true);
      expect(readFileSync(join(dir, KEY_FILE_NAME)).equals(key)).toBe(true);
      expect(readdirSync(dir).sort()).toEqual([KEY_FILE_NAME, STORE_FILE_NAME].sort());
    }

    it('another 32-byte key: clear error naming the fix, nothing overwritten, even by set and remove', async () => {
      const before = await seeded();
      const wrong = randomBytes(32);
      writeFileSync(join(dir, KEY_FILE_NAME), wrong, { mode: 0o600 });
      const store = new SecretStore(dir);
      expect(() => store.list()).toThrow(/does not open the secret store.*Restore the matching secrets\.key.*has not changed either file/s);
      // its own code, so the API answers 503 and the CLI exits 8, not as an internal fault
      expect(() => store.list()).toThrow(expect.objectContaining({ code: 'secret_store_unavailable' }));
      await expect(store.set('K2', 'global', 'new-value')).rejects.toThrow(/does not open/);
      await expect(store.remove('K', 'global')).rejects.toThrow(/does not open/);
      unchanged(before, wrong);
      expect(store.valuesForMasking()).toEqual([]);
    });

    it('a key file of the wrong size is refused and kept', async () => {
      const before = await seeded();
      writeFileSync(join(dir, KEY_FILE_NAME), 'not a key\n');
      const store = new SecretStore(dir);
      await expect(store.set('K', 'global', 'x-value')).rejects.toThrow(/is 10 bytes, not 32.*will not overwrite/s);
      expect(readFileSync(join(dir, KEY_FILE_NAME), 'utf8')).toBe('not a key\n');
      expect(readFileSync(join(dir, STORE_FILE_NAME)).equals(before.store)).toBe(true);
    });

    it('a missing key with an existing store: error, and no new key is made', async () => {
      const before = await seeded();
      const { rmSync } = await import('node:fs');
      rmSync(join(dir, KEY_FILE_NAME));
      const store = new SecretStore(dir);
      await expect(store.set('K', 'global', 'x-value')).rejects.toThrow(/key .* is missing/);
      expect(readdirSync(dir)).toEqual([STORE_FILE_NAME]);
      expect(readFileSync(join(dir, STORE_FILE_NAME)).equals(before.store)).toBe(true);
    });

    it('a damaged store: error, nothing overwritten', async () => {
      const before = await seeded();
      const damaged = Buffer.from(before.store);
      damaged[damaged.length - 10] = damaged[damaged.length - 10]! ^ 0x01; // flip a bit inside the base64 ciphertext or tag
      writeFileSync(join(dir, STORE_FILE_NAME), damaged);
      const store = new SecretStore(dir);
      await expect(store.set('K', 'global', 'x-value')).rejects.toThrow(/does not open|damaged/);
      expect(readFileSync(join(dir, STORE_FILE_NAME)).equals(damaged)).toBe(true);
      writeFileSync(join(dir, STORE_FILE_NAME), '{not json');
      expect(() => new SecretStore(dir).list()).toThrow(/damaged/);
    });

    it('recovers once the right key is back', async () => {
      const before = await seeded();
      writeFileSync(join(dir, KEY_FILE_NAME), randomBytes(32));
      const store = new SecretStore(dir);
      expect(() => store.list()).toThrow();
      writeFileSync(join(dir, KEY_FILE_NAME), before.key);
      expect(store.list().map((s) => s.name)).toEqual(['K']);
    });
  });

  it('tightens a key file readable by others without changing it', async () => {
    await new SecretStore(dir).set('K', 'global', VALUE);
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, KEY_FILE_NAME), 0o644);
    expect(new SecretStore(dir).list()).toHaveLength(1);
    expect(statSync(join(dir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
  });
});
