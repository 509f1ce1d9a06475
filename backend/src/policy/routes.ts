/**
 * GET  /api/v1/policy        → PolicyView (effective rules, the file each came from, errors, flagged sandboxes)
 * POST /api/v1/policy/check  CreateSandboxRequest → PolicyCheckResult (dry run; nothing is created)
 */
import type { AppContext, RouteModule } from '../api/context.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { API_PREFIX, CreateSandboxRequest } from '../core/protocol.js';
import type { PolicyService } from './service.js';

/** Key under AppContext.services. */
export const POLICY_SERVICE = 'policy';

export function policyFrom(ctx: AppContext): PolicyService {
  const p = ctx.services[POLICY_SERVICE] as PolicyService | undefined;
  if (!p) throw new PaddockError(ErrorCode.Internal, 'Policy is not running in this paddockd. Restart paddockd; if it persists, check its log.');
  return p;
}

export const registerPolicyRoutes: RouteModule = (app, ctx) => {
  app.get(`${API_PREFIX}/policy`, async () => policyFrom(ctx).view());

  app.post(`${API_PREFIX}/policy/check`, async (req) => {
    const parsed = CreateSandboxRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw new PaddockError(ErrorCode.BadInput, `Bad check request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}.`);
    }
    return policyFrom(ctx).check(parsed.data);
  });
};
