import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../core';
import { describeRecord, matchesClient, mergeRecords, sinceMs } from './audit-view';

const rec = (seq: number, action: string, details: Record<string, unknown> = {}, over: Partial<AuditRecord> = {}): AuditRecord => ({
  seq,
  time: '2026-11-30T01:00:00.000Z',
  actor: 'dashboard',
  action,
  sandbox: 'app',
  details,
  prev: '0'.repeat(64),
  ...over,
});

describe('activity view', () => {
  it('says what happened and how it ended', () => {
    expect(describeRecord(rec(1, 'policy.refused', { op: 'create', violations: [{ rule: 'isolation.allow' }, { rule: 'resources.max.memory' }] }))).toEqual({
      outcome: 'refused',
      summary: 'create refused by isolation.allow, resources.max.memory',
    });
    expect(describeRecord(rec(2, 'network.summary', { host: 'api.example.test', allowed: 3, denied: 2, bytes: 10 })).outcome).toBe('denied');
    expect(describeRecord(rec(3, 'network.summary', { host: 'api.example.test', allowed: 3, denied: 0 })).outcome).toBe('ok');
    expect(describeRecord(rec(4, 'policy.violation', { outcome: 'stopped', violations: [{ rule: 'agents.allow' }] }))).toEqual({ outcome: 'stopped', summary: 'stopped: breaks agents.allow' });
    expect(describeRecord(rec(5, 'sandbox.update', { change: { network: 'none', allowHosts: [] } })).summary).toBe('settings: network → none; allowHosts → none');
    expect(describeRecord(rec(6, 'secret.attach', { secrets: [{ name: 'NPM_TOKEN', mode: 'file' }] })).summary).toBe('secrets attached: NPM_TOKEN (file)');
    expect(describeRecord(rec(7, 'audit.truncation-detected')).outcome).toBe('warning');
    expect(describeRecord(rec(8, 'something.new')).summary).toBe('something.new');
  });

  it('filters by actor, problems and text', () => {
    const a = rec(1, 'sandbox.start', {}, { actor: 'cli' });
    const b = rec(2, 'policy.refused', { op: 'update', violations: [{ rule: 'network.allowOpen' }] }, { sandbox: 'web' });
    const f = { actor: '', text: '', outcome: 'any' as const };
    expect([a, b].filter((r) => matchesClient(r, f))).toHaveLength(2);
    expect([a, b].filter((r) => matchesClient(r, { ...f, actor: 'cli' }))).toEqual([a]);
    expect([a, b].filter((r) => matchesClient(r, { ...f, outcome: 'problems' }))).toEqual([b]);
    expect([a, b].filter((r) => matchesClient(r, { ...f, text: 'allowOpen' }))).toEqual([b]);
    expect([a, b].filter((r) => matchesClient(r, { ...f, text: 'WEB' }))).toEqual([b]);
  });

  it('merges a live stream newest first, once per record, capped', () => {
    const l = mergeRecords([rec(2, 'x'), rec(1, 'x')], [rec(2, 'x'), rec(3, 'x')], 10);
    expect(l.map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(mergeRecords(l, [rec(4, 'x')], 2).map((r) => r.seq)).toEqual([4, 3]);
  });

  it('reads since durations', () => {
    expect(sinceMs('15m')).toBe(900_000);
    expect(sinceMs('')).toBeNull();
  });
});
