/**
 * Feature modules (egress, secrets, policy, audit) plug in here: each may add sandbox hooks,
 * route modules, and start/stop hooks. Kept apart from main.ts so features land independently.
 */
import type { AppContext, RouteModule } from '../api/context.js';
import type { SandboxService } from '../sandboxes/service.js';

export const startHooks: (() => Promise<void>)[] = [];
export const stopHooks: (() => Promise<void>)[] = [];

export async function registerFeatures(_ctx: AppContext, _sandboxes: SandboxService, _modules: RouteModule[]): Promise<void> {
  // wired as features land
}
