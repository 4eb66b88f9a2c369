import { describe, expect, it } from 'vitest';
import { careCourse, checkCaregiver, inTimeOrder } from '../../../src/domain/cases/best-interest.js';

/** The best-interest view's rules (issue #22 item 5): caregivers that fit an arrangement, arrangements over time, one timeline. */

const at = (iso: string) => new Date(iso);
const row = (id: string, from: string, until: string | null, recordedAt = '2026-11-01T10:00:00Z') => ({
  id,
  from,
  until,
  recordedAt: at(recordedAt),
});

describe('care arrangements', () => {
  it('take the caregiver their kind calls for', () => {
    expect(checkCaregiver('with_sponsor', 'sponsor')).toBeNull();
    expect(checkCaregiver('with_sponsor', null)?.code).toBe('caregiver_required');
    expect(checkCaregiver('with_parent', 'sponsor')?.code).toBe('caregiver_type_mismatch');
    expect(checkCaregiver('with_relative', 'sibling')).toBeNull();
    expect(checkCaregiver('orr_shelter', 'parent')?.code).toBe('caregiver_not_allowed');
    expect(checkCaregiver('unaccompanied_no_care', null)).toBeNull();
    expect(checkCaregiver('foster_care', null)).toBeNull();
  });

  it('follow one another: a later one ends the one before it, a recorded last day counts, the current one is today’s', () => {
    const { spans, current } = careCourse(
      [row('sponsor', '2026-06-01', null), row('shelter', '2026-05-02', null), row('relative', '2026-10-01', '2026-10-15')],
      '2026-11-29',
    );
    expect(spans.map((s) => [s.id, s.from, s.endsOn])).toEqual([
      ['shelter', '2026-05-02', '2026-05-31'],
      ['sponsor', '2026-06-01', '2026-09-30'],
      ['relative', '2026-10-01', '2026-10-15'],
    ]);
    // The last one ended on 2026-10-15 and nothing was recorded after: no current arrangement.
    expect(current).toBeNull();
    expect(careCourse([row('sponsor', '2026-06-01', null)], '2026-11-29').current?.id).toBe('sponsor');
    // Not begun yet: not current.
    expect(careCourse([row('later', '2026-12-01', null)], '2026-11-29').current).toBeNull();
  });

  it('recorded twice for one day: the later record is the one in force', () => {
    const { current } = careCourse(
      [row('first', '2026-11-01', null, '2026-11-01T10:00:00Z'), row('correction', '2026-11-01', null, '2026-11-02T10:00:00Z')],
      '2026-11-29',
    );
    expect(current?.id).toBe('correction');
  });
});

describe('the timeline', () => {
  it('is in time order; equal instants keep the order given', () => {
    const items = [
      { at: at('2026-11-29T15:02:00Z'), order: 0, k: 'c' },
      { at: at('2026-11-29T15:00:00Z'), order: 1, k: 'a' },
      { at: at('2026-11-29T15:01:00Z'), order: 3, k: 'b2' },
      { at: at('2026-11-29T15:01:00Z'), order: 2, k: 'b1' },
    ];
    expect(inTimeOrder(items).map((i) => i.k)).toEqual(['a', 'b1', 'b2', 'c']);
  });
});
