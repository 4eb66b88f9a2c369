import type { TCasePlan, TNeed, TService } from '../../contracts/case-plan.js';
import type { PlanView } from '../../services/case-plan.service.js';

/** What leaves the server of a child's case plan: exactly the contract's shape (the best-interest view reads it too). */

export const presentNeed = (n: PlanView['needs'][number]): TNeed => ({ id: n.id, need: n.need, assessedOn: n.assessed_on, notes: n.notes });

export const presentService = (s: PlanView['services'][number]): TService => ({
  id: s.id,
  type: s.type,
  provider: s.provider,
  dueOn: s.due_on,
  status: s.status,
  outcome: s.outcome,
  overdue: s.overdue,
});

export function presentCasePlan(v: PlanView): TCasePlan {
  const { plan, closure } = v;
  return {
    plan: plan
      ? {
          status: plan.status,
          submittedAt: plan.submitted_at?.toISOString() ?? null,
          decidedAt: plan.decided_at?.toISOString() ?? null,
          decidedBy: plan.decided_by,
          note: plan.note,
        }
      : null,
    needs: v.needs.map(presentNeed),
    services: v.services.map(presentService),
    closure: closure
      ? {
          status: closure.status,
          requestedAt: closure.requested_at.toISOString(),
          decidedAt: closure.decided_at?.toISOString() ?? null,
          decidedBy: closure.decided_by,
          reason: closure.status === 'refused' ? closure.refusal_reason : closure.note,
        }
      : null,
  };
}
