import type { LocationObservation } from '@contracts/views.js';
import type { ReactNode } from 'react';

/** Pieces the case and person screens share. */

/** A place in one line, from the parts that are known. */
export const address = (l: Pick<LocationObservation, 'line1' | 'city' | 'county' | 'state' | 'zip'>) =>
  [l.line1, l.city, l.county ? `${l.county} County` : null, l.state, l.zip].filter(Boolean).join(', ');

/** A titled panel of a record page. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `sec-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <section aria-labelledby={id} className="panel">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
