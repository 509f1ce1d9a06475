import { describe, expect, it } from 'vitest';
import { normalizeAbsolute, workspaceRefusal } from './paths.js';

describe('workspace rules', () => {
  it.each([
    ['/', /root directory/],
    ['/home/ada', /home directory itself/],
    ['/etc', /system directory/],
    ['/etc/nginx', /system directory/],
    ['/usr/local/src', /system directory/],
    ['/var/lib/docker/volumes', /system directory/],
    ['/proc/1', /system directory/],
    ['/home', /other users/],
  ])('refuses %s', (p, why) => expect(workspaceRefusal(p, '/home/ada')).toMatch(why));

  it.each(['/home/ada/src/proj', '/srv/work', '/tmp/x', '/etcetera'])('allows %s', (p) => expect(workspaceRefusal(p, '/home/ada')).toBeNull());

  it('normalizes .. and duplicate slashes before judging', () => {
    expect(normalizeAbsolute('/home/ada/src/../..//ada')).toBe('/home/ada');
    expect(workspaceRefusal(normalizeAbsolute('/tmp/../etc'), null)).toMatch(/system/);
  });
  it('needs an absolute path', () => expect(() => normalizeAbsolute('src')).toThrow(/absolute/));
});
