import { describe, expect, it } from 'vitest';
import { parseOwnerProbe } from './remote-paths.js';

describe('parseOwnerProbe', () => {
  it('reads uid and gid of a directory', () => {
    expect(parseOwnerProbe('/w', '1234:5678:directory\n')).toEqual({ uid: 1234, gid: 5678 });
  });
  it('refuses a file with the fix', () => {
    expect(() => parseOwnerProbe('/w/f', '0:0:regular file')).toThrow(/\/w\/f is not a directory.*Pass the project folder/);
  });
  it('says what the engine printed when it is not stat output', () => {
    expect(() => parseOwnerProbe('/w', "stat: cannot statx '/probe': No such file")).toThrow(/Could not read the owner of \/w .*cannot statx/);
  });
});
