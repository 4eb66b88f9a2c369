import { addDays, type CalendarDay } from '../calendar/calendar-day.js';

/**
 * Rules of the best-interest view (issue #22 item 5), without I/O: which caregiver a care arrangement needs, how
 * arrangements over time follow one another (a later one ends the one before it), and the one timeline's order.
 */

export type CareType = 'with_sponsor' | 'with_parent' | 'with_relative' | 'foster_care' | 'orr_shelter' | 'unaccompanied_no_care' | 'other';
export type RelationshipKind = 'sponsor' | 'parent' | 'sibling' | 'caregiver' | 'relative' | 'other_adult';

/** The relationship types a caregiver of each arrangement may have; null: no caregiver may be named. */
const CAREGIVER_TYPES: Record<CareType, { required: boolean; types: readonly RelationshipKind[] | null }> = {
  with_sponsor: { required: true, types: ['sponsor'] },
  with_parent: { required: true, types: ['parent'] },
  with_relative: { required: true, types: ['relative', 'sibling', 'caregiver', 'sponsor'] },
  foster_care: { required: false, types: ['caregiver', 'other_adult', 'relative'] },
  orr_shelter: { required: false, types: null },
  unaccompanied_no_care: { required: false, types: null },
  other: { required: false, types: ['sponsor', 'parent', 'sibling', 'caregiver', 'relative', 'other_adult'] },
};

export type CaregiverIssue = { code: 'caregiver_required' | 'caregiver_not_allowed' | 'caregiver_type_mismatch'; message: string };

/** Whether the caregiver named (by their relationship type, or none) fits the kind of arrangement. */
export function checkCaregiver(type: CareType, caregiver: RelationshipKind | null): CaregiverIssue | null {
  const rule = CAREGIVER_TYPES[type];
  if (caregiver === null)
    return rule.required
      ? {
          code: 'caregiver_required',
          message: `an arrangement ${type.replace(/_/g, ' ')} names the caregiver (a relationship on the case)`,
        }
      : null;
  if (rule.types === null)
    return { code: 'caregiver_not_allowed', message: `an arrangement ${type.replace(/_/g, ' ')} has no individual caregiver` };
  if (!rule.types.includes(caregiver))
    return {
      code: 'caregiver_type_mismatch',
      message: `a ${caregiver.replace(/_/g, ' ')} is not a caregiver for an arrangement ${type.replace(/_/g, ' ')} (${rule.types.join(', ').replace(/_/g, ' ')})`,
    };
  return null;
}

export type Arrangement = { id: string; from: CalendarDay; until: CalendarDay | null; recordedAt: Date };
export type ArrangementSpan<T extends Arrangement> = T & { endsOn: CalendarDay | null };

/**
 * Arrangements over time, oldest first: each ends on its recorded last day, else the day before the next one
 * begins (recorded later for the same day: the later record replaces it from that day), else goes on. The current
 * one is the latest begun on or before today and not ended before today.
 */
export function careCourse<T extends Arrangement>(rows: readonly T[], today: CalendarDay) {
  const sorted = [...rows].sort((a, b) => a.from.localeCompare(b.from) || a.recordedAt.getTime() - b.recordedAt.getTime());
  const spans: ArrangementSpan<T>[] = sorted.map((row, i) => {
    const next = sorted[i + 1];
    const implied = next ? (next.from > row.from ? addDays(next.from, -1) : row.from) : null;
    const endsOn = [row.until, implied].filter((d): d is CalendarDay => d !== null).sort()[0] ?? null;
    return { ...row, endsOn };
  });
  const current = [...spans].reverse().find((s) => s.from <= today && (s.endsOn === null || s.endsOn >= today)) ?? null;
  return { spans, current };
}

export type TimelineItem = { at: Date; order: number };

/** One timeline, oldest first; equal instants keep the order they were given in. */
export const inTimeOrder = <T extends TimelineItem>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);
