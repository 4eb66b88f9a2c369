/** Whole years between a calendar date of birth and a day, as a birthday counts them. */
export function ageOn(dob: string, on: Date): number {
  const [y, m, d] = dob.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) throw new Error(`not a date: ${dob}`);
  let age = on.getUTCFullYear() - y;
  const month = on.getUTCMonth() + 1;
  if (month < m || (month === m && on.getUTCDate() < d)) age -= 1;
  return age;
}

/**
 * A person counts as a minor if any date of birth we hold for them — exact,
 * estimated or claimed — makes them under 18. Unknown age is not "adult".
 */
export function isMinorOn(person: { dob: string | null; dobBasis: string }, on: Date): boolean | 'unknown' {
  if (!person.dob || person.dobBasis === 'unknown') return 'unknown';
  return ageOn(person.dob, on) < 18;
}

/**
 * A person known by several records (merged duplicates) is a minor if any of
 * them says so: a merge must never hide a child. Otherwise their own record
 * decides (unknown stays unknown).
 */
export function isMinorAcross(
  own: { dob: string | null; dobBasis: string },
  records: readonly { dob: string | null; dobBasis: string }[],
  on: Date,
): boolean | 'unknown' {
  return records.some((r) => isMinorOn(r, on) === true) ? true : isMinorOn(own, on);
}
