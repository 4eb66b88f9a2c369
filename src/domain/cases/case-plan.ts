import {
  CLOSURE_STATUS_VALUES,
  NEED_TYPE_VALUES,
  PLAN_STATUS_VALUES,
  SERVICE_STATUS_VALUES,
  SERVICE_TYPE_VALUES,
} from '../../contracts/case-plan.js';
import type { CalendarDay } from '../calendar/calendar-day.js';
import { defineLifecycle, startsOf } from '../workflow/lifecycle.js';

/**
 * A child's case plan (issue #22 item 3, after Primero/CPIMS+): needs assessed on a UAC case, services planned
 * against them, the plan approved by a supervisor, and the case closed only on a supervisor's approval. Pure
 * rules: the vocabularies, the three lifecycles, and when a service is overdue.
 */

export const NEED_TYPES = NEED_TYPE_VALUES;
export type NeedType = (typeof NEED_TYPES)[number];

export const SERVICE_TYPES = SERVICE_TYPE_VALUES;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const SERVICE_STATUSES = SERVICE_STATUS_VALUES;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
export type ServiceAction = 'start' | 'deliver' | 'not_deliver' | 'cancel';

/** planned → in_progress → delivered | not_delivered | cancelled (a planned service may also end without starting). */
export const SERVICE_LIFECYCLE = defineLifecycle<ServiceStatus, ServiceAction>({
  noun: 'service',
  statuses: SERVICE_STATUSES,
  transitions: {
    start: { from: ['planned'], to: 'in_progress', verb: 'started' },
    deliver: { from: ['planned', 'in_progress'], to: 'delivered', verb: 'recorded as delivered' },
    not_deliver: { from: ['planned', 'in_progress'], to: 'not_delivered', verb: 'recorded as not delivered' },
    cancel: { from: ['planned', 'in_progress'], to: 'cancelled', verb: 'cancelled' },
  },
});

/** The action that leads to a status (the API names the status wanted). */
export const SERVICE_ACTION_TO: Readonly<Record<Exclude<ServiceStatus, 'planned'>, ServiceAction>> = {
  in_progress: 'start',
  delivered: 'deliver',
  not_delivered: 'not_deliver',
  cancelled: 'cancel',
};

/** Still to be resolved: a service in one of these blocks the case's closure and can become overdue. */
export const OPEN_SERVICE: readonly ServiceStatus[] = startsOf(SERVICE_LIFECYCLE, 'cancel');

/** An outcome is written when a service ends, whichever way. */
export const outcomeRequired = (to: ServiceStatus): boolean => !OPEN_SERVICE.includes(to);

/** Overdue once its due day has passed on the center's calendar (due today is not overdue yet). */
export const isOverdue = (s: { status: ServiceStatus; dueOn: CalendarDay }, today: CalendarDay): boolean =>
  OPEN_SERVICE.includes(s.status) && s.dueOn < today;

export const PLAN_STATUSES = PLAN_STATUS_VALUES;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export type PlanAction = 'submit' | 'approve' | 'return' | 'change';

/**
 * draft/returned → submitted → approved | returned. A change to the needs or services of a plan that is
 * submitted, approved or returned puts it back to draft: what was approved is no longer what is planned.
 */
export const PLAN_LIFECYCLE = defineLifecycle<PlanStatus, PlanAction>({
  noun: 'case plan',
  statuses: PLAN_STATUSES,
  transitions: {
    submit: { from: ['draft', 'returned'], to: 'submitted', verb: 'submitted' },
    approve: { from: ['submitted'], to: 'approved', verb: 'approved' },
    return: { from: ['submitted'], to: 'returned', verb: 'returned' },
    change: { from: ['submitted', 'approved', 'returned'], to: 'draft', verb: 'changed' },
  },
});

export const CLOSURE_STATUSES = CLOSURE_STATUS_VALUES;
export type ClosureStatus = (typeof CLOSURE_STATUSES)[number];
export type ClosureAction = 'approve' | 'refuse';

export const CLOSURE_LIFECYCLE = defineLifecycle<ClosureStatus, ClosureAction>({
  noun: 'closure request',
  statuses: CLOSURE_STATUSES,
  transitions: {
    approve: { from: ['requested'], to: 'approved', verb: 'approved' },
    refuse: { from: ['requested'], to: 'refused', verb: 'refused' },
  },
});
