/** Names shared by the extension scripts. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const VERSION = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
export const DEFAULT_TAG = `paddock/desktop-extension:${VERSION}`;

/** `--tag <image>` (or `--image <image>`), else $PADDOCK_EXTENSION_IMAGE, else the default tag. */
export function tagFromArgs(argv = process.argv.slice(2)) {
  const i = argv.findIndex((a) => a === '--tag' || a === '--image');
  const given = i >= 0 ? argv[i + 1] : undefined;
  return given && !given.startsWith('--') ? given : (process.env.PADDOCK_EXTENSION_IMAGE ?? DEFAULT_TAG);
}
