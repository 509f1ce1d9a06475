import { describe, expect, it } from 'vitest';
import { engineError, pathHiddenFromEngine } from './docker.js';

describe('engine errors for paths the engine cannot see', () => {
  it('a missing bind source is a bad path, with the file-sharing hint', () => {
    const e = engineError({ statusCode: 400, json: { message: 'invalid mount config for type "bind": bind source path does not exist: /home/ada/gone' } }, 'create container');
    expect(e.code).toBe('bad_input');
    expect(e.message).toMatch(/cannot see \/home\/ada\/gone: it does not exist on the engine's host.*File sharing/);
  });
  it("Docker Desktop's 'Mounts denied' names the folder and the setting", () => {
    const e = pathHiddenFromEngine('Mounts denied: \nThe path /Users/ada/p is not shared from the host and is not known to Docker.\nYou can configure shared paths from Docker -> Preferences... -> Resources -> File Sharing.');
    expect(e?.code).toBe('bad_input');
    expect(e?.message).toMatch(/does not share \/Users\/ada\/p with its engine.*File sharing/);
  });
  it('leaves other engine errors alone', () => {
    expect(pathHiddenFromEngine('conflict: unable to delete')).toBeNull();
    expect(engineError({ statusCode: 500, json: { message: 'boom' } }, 'start').code).toBe('engine_error');
  });
});
