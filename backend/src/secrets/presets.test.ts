import { describe, expect, it } from 'vitest';
import { newPlaceholder, PLACEHOLDER_PREFIX, proxyPlan } from './presets.js';

describe('newPlaceholder', () => {
  it('is recognisable, unguessable and different every time', () => {
    const a = newPlaceholder();
    const b = newPlaceholder();
    expect(a).toMatch(new RegExp(`^${PLACEHOLDER_PREFIX}[0-9a-f]{32}$`));
    expect(a).not.toBe(b);
  });
});

describe('proxyPlan', () => {
  const P = 'paddock-placeholder-x';
  it.each([
    [{ name: 'ANTHROPIC_API_KEY', mode: 'proxy' as const },
      { ANTHROPIC_API_KEY: P, ANTHROPIC_BASE_URL: 'http://10.213.0.2:3129/anthropic' }, { id: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key' }],
    [{ name: 'OPENAI_API_KEY', mode: 'proxy' as const },
      { OPENAI_API_KEY: P, OPENAI_BASE_URL: 'http://10.213.0.2:3129/openai/v1' }, { id: 'openai', host: 'api.openai.com', header: 'Authorization', prefix: 'Bearer ' }],
    [{ name: 'GEMINI_API_KEY', mode: 'proxy' as const },
      { GEMINI_API_KEY: P, GOOGLE_GEMINI_BASE_URL: 'http://10.213.0.2:3129/gemini' }, { id: 'gemini', host: 'generativelanguage.googleapis.com', header: 'x-goog-api-key' }],
    [{ name: 'WORK_CLAUDE_KEY', mode: 'proxy' as const, provider: 'anthropic' as const },
      { ANTHROPIC_API_KEY: P, ANTHROPIC_BASE_URL: 'http://10.213.0.2:3129/anthropic' }, { id: 'anthropic', host: 'api.anthropic.com', header: 'x-api-key' }],
    [{ name: 'GITHUB_TOKEN', mode: 'proxy' as const, host: 'api.github.com' },
      { GITHUB_TOKEN: P, GITHUB_TOKEN_BASE_URL: 'http://10.213.0.2:3129/s-github_token' }, { id: 's-github_token', host: 'api.github.com', header: 'Authorization', prefix: 'Bearer ' }],
    [{ name: 'X_TOKEN', mode: 'proxy' as const, host: 'api.x.dev', header: 'X-Api-Token' },
      { X_TOKEN: P, X_TOKEN_BASE_URL: 'http://10.213.0.2:3129/s-x_token' }, { id: 's-x_token', host: 'api.x.dev', header: 'X-Api-Token' }],
  ])('%o', (att, env, rule) => {
    const plan = proxyPlan(att, '10.213.0.2', P);
    expect(plan.env).toEqual(env);
    expect(plan.rule).toEqual(rule);
  });

  it('refuses a proxy secret with neither preset nor host, saying what to write', () => {
    expect(() => proxyPlan({ name: 'MY_TOKEN', mode: 'proxy' }, '10.0.0.2', P)).toThrow(/MY_TOKEN:proxy=api.example.com/);
  });
});
