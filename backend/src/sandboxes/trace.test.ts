import { describe, expect, it } from 'vitest';
import { startTrace } from './trace.js';

describe('startTrace', () => {
  it('logs each step once the path ends, when enabled', () => {
    const t = startTrace('create', 'a', true);
    t.mark('list');
    t.mark('image');
    t.mark('list'); // a step seen twice adds up
    const logged: Record<string, unknown>[] = [];
    t.done((f) => logged.push(f));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ trace: 'create', sandbox: 'a' });
    expect(Object.keys(logged[0]!.steps as object).sort()).toEqual(['image', 'list']);
  });
  it('costs nothing and logs nothing when disabled', () => {
    const logged: unknown[] = [];
    const t = startTrace('start', 'a', false);
    t.mark('x');
    t.done((f) => logged.push(f));
    expect(logged).toEqual([]);
  });
});
