/**
 * The sandbox image for integration tests that drive the engine below paddockd: Paddock's own
 * base image (paddock-init, tmux, curl, node, iproute2), built through the real ImageBuilder when
 * missing, exactly as paddockd builds it. PADDOCK_TEST_SANDBOX_IMAGE overrides it.
 */
import { DockerEngine } from '../src/engine/docker.js';
import { ImageBuilder } from '../src/images/builder.js';

let base: Promise<string> | null = null;

export function testSandboxImage(): Promise<string> {
  const override = process.env.PADDOCK_TEST_SANDBOX_IMAGE;
  if (override) return Promise.resolve(override);
  base ??= new ImageBuilder(new DockerEngine()).ensureBase((line) => process.stderr.write(`[base image] ${line}\n`));
  return base;
}
