import type { Role } from '../access/access-control.js';
import type { StoryAction, SyntheticCase, SyntheticDataset } from './synthetic-data.js';

/**
 * The demo as one timeline: every case's intake and story actions, and the
 * UAC unit's shifts, in time order. The seed plays the steps one by one; each
 * is one service call made by one demo account at its time, so a seed
 * interrupted after step n resumes at step n + 1 and ends exactly where an
 * uninterrupted one would.
 */

/** The demo accounts that act, by role. */
export type DemoActor = Extract<Role, 'call_taker' | 'uac_specialist' | 'analyst' | 'supervisor' | 'legal_reviewer' | 'admin'>;

export type DemoStep =
  | { kind: 'register_agencies'; at: string; actor: 'admin' }
  | { kind: 'add_partner_officer'; at: string; actor: 'admin' }
  | { kind: 'intake'; at: string; actor: DemoActor; caseKey: string }
  | { kind: 'story'; at: string; actor: DemoActor; caseKey: string; action: StoryAction }
  /** The UAC specialist takes the welfare work items waiting in the UAC work queue through the ACD. */
  | { kind: 'shift'; at: string; actor: 'uac_specialist' };

/** Shifts of the UAC unit's welfare desk start at these UTC hours (22:00, 06:00 and 14:00 in Nashville, standard time). */
const SHIFT_HOURS_UTC = [4, 12, 20] as const;
const HOUR = 3_600_000;

/** The first shift start strictly after an instant. */
export function nextShiftStart(after: number): number {
  const day = Math.floor(after / (24 * HOUR)) * 24 * HOUR;
  for (let d = 0; d < 2; d++) {
    for (const h of SHIFT_HOURS_UTC) {
      const start = day + d * 24 * HOUR + h * HOUR;
      if (start > after) return start;
    }
  }
  throw new Error('unreachable: a shift starts every eight hours');
}

/** Who does what: the unit that works the case, the legal reviewer for reviews, a supervisor to corroborate. */
function actorFor(c: SyntheticCase, action: StoryAction): DemoActor {
  if (action.kind === 'review_referral') return 'legal_reviewer';
  if (action.kind === 'verify_location') return 'supervisor';
  return c.unit === 'uac' ? 'uac_specialist' : 'analyst';
}

/**
 * Orders every step by time (ties: agencies and accounts first, then by case and story order), from `start`, when the
 * center's registry is loaded, to `asOf`. A shift follows each positive screening at the next shift start before `asOf`.
 */
export function demoTimeline(dataset: SyntheticDataset, start: Date, asOf: Date): DemoStep[] {
  const keyed: { step: DemoStep; order: number }[] = [];
  let order = 0;
  const add = (step: DemoStep) => keyed.push({ step, order: order++ });
  add({ kind: 'register_agencies', at: start.toISOString(), actor: 'admin' });
  add({ kind: 'add_partner_officer', at: new Date(start.getTime() + 10 * 60_000).toISOString(), actor: 'admin' });
  const shifts = new Set<number>();
  for (const c of dataset.cases) {
    // Reports are taken on the phone by the call takers, whatever the case is about.
    add({ kind: 'intake', at: c.openedAt, actor: 'call_taker', caseKey: c.key });
    for (const action of c.story) {
      add({ kind: 'story', at: action.at, actor: actorFor(c, action), caseKey: c.key, action });
      if (action.kind === 'screen' && action.indicators.length > 0) {
        const shift = nextShiftStart(Date.parse(action.at));
        if (shift <= asOf.getTime()) shifts.add(shift);
      }
    }
  }
  for (const shift of [...shifts].sort((a, b) => a - b)) add({ kind: 'shift', at: new Date(shift).toISOString(), actor: 'uac_specialist' });
  return keyed.sort((a, b) => Date.parse(a.step.at) - Date.parse(b.step.at) || a.order - b.order).map((k) => k.step);
}
