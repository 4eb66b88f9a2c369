import { type Actor, authorize, type Permission, type PermissionTable, type Resource } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import type { Db } from '../storage/database.js';
import { type RequestContext, recordAudit } from './audit.service.js';

/**
 * The one place a request is allowed or refused. A refusal of a signed-in
 * user or client is audited (outcome "denied") before the 403 goes out.
 */
export async function requireAccess(
  deps: { db: Db; permissions: PermissionTable },
  ctx: RequestContext & { actor: Actor },
  permission: Permission,
  resource: Resource,
  audit: { action: string; resourceType?: string; resourceId?: string },
): Promise<void> {
  const decision = authorize(deps.permissions, ctx.actor, permission, resource);
  if (decision.allowed) return;
  await recordAudit(deps.db, ctx, {
    action: audit.action,
    outcome: 'denied',
    ...(audit.resourceType ? { resourceType: audit.resourceType } : {}),
    ...(audit.resourceId ? { resourceId: audit.resourceId } : {}),
    details: { permission, reason: decision.reason },
  });
  throw new AppError('forbidden', 'You do not have permission to do this.');
}
