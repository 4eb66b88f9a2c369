import { csvText } from '../csv/csv-text.js';
import type { FieldIssue } from '../errors/app-error.js';

/**
 * Bulk submissions as CSV: one report per row, the columns below (any order,
 * header row required, names as written here). A row becomes the same JSON
 * model as a single submission and passes the same validation; what a row
 * gets wrong is reported by row number and column, so the partner can fix the
 * row and send it again. Lists (nationalities, languages) are separated by
 * semicolons.
 */

type Column = { name: string; path: string; required?: boolean; list?: boolean };

export const SUBMISSION_CSV_COLUMNS: readonly Column[] = [
  { name: 'type', path: 'type', required: true },
  { name: 'occurred_at', path: 'occurredAt', required: true },
  { name: 'narrative', path: 'narrative', required: true },
  { name: 'given_names', path: 'subject.givenNames', required: true },
  { name: 'family_name_1', path: 'subject.familyName1', required: true },
  { name: 'family_name_2', path: 'subject.familyName2' },
  { name: 'dob', path: 'subject.dob' },
  { name: 'dob_basis', path: 'subject.dobBasis' },
  { name: 'sex', path: 'subject.sex' },
  { name: 'nationalities', path: 'subject.nationalities', list: true },
  { name: 'languages', path: 'subject.languages', list: true },
  { name: 'a_number', path: 'subject.aNumber' },
  { name: 'fbi_number', path: 'subject.fbiNumber' },
  { name: 'state_id', path: 'subject.stateId.value' },
  { name: 'state_id_state', path: 'subject.stateId.state' },
  { name: 'officer_name', path: 'officer.name' },
  { name: 'officer_badge', path: 'officer.badge' },
  { name: 'location_line1', path: 'location.line1' },
  { name: 'location_city', path: 'location.city' },
  { name: 'location_county', path: 'location.county' },
  { name: 'location_state', path: 'location.state' },
  { name: 'location_zip', path: 'location.zip' },
  { name: 'concern', path: 'concern' },
  { name: 'booking_number', path: 'booking.number' },
  { name: 'booking_facility', path: 'booking.facility' },
];

export const MAX_CSV_ROWS = 5_000;
export const MAX_CSV_BYTES = 5_000_000;

const byName = new Map(SUBMISSION_CSV_COLUMNS.map((c) => [c.name, c]));

/** Problems with the header row: the whole file is refused, since no row could be read right. */
export function checkCsvHeader(header: readonly string[]): FieldIssue[] {
  // A header of thousands of columns is one problem, not thousands.
  if (header.length > SUBMISSION_CSV_COLUMNS.length * 2)
    return [
      {
        path: 'header',
        code: 'too_many_columns',
        message: `${header.length} columns; the submission CSV has ${SUBMISSION_CSV_COLUMNS.length}`,
      },
    ];
  const issues: FieldIssue[] = [];
  const names = header.map((h) => h.trim().toLowerCase());
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!byName.has(name))
      issues.push({ path: `header.${i + 1}`, code: 'unknown_column', message: `"${header[i]}" is not a column of the submission CSV` });
    else if (seen.has(name)) issues.push({ path: `header.${i + 1}`, code: 'duplicate_column', message: `"${name}" appears twice` });
    seen.add(name);
  });
  for (const c of SUBMISSION_CSV_COLUMNS)
    if (c.required && !seen.has(c.name))
      issues.push({ path: 'header', code: 'missing_column', message: `the column "${c.name}" is required` });
  return issues;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

/** One row as the JSON a single submission would have sent; empty cells are absent fields. */
export function rowToSubmission(header: readonly string[], row: readonly string[]): Record<string, unknown> {
  // A null prototype: a column can never reach Object.prototype, whatever the file says.
  const out: Record<string, unknown> = Object.create(null);
  header.forEach((h, i) => {
    const column = byName.get(h.trim().toLowerCase());
    const cell = (row[i] ?? '').trim();
    if (!column || cell === '') return;
    setPath(
      out,
      column.path,
      column.list
        ? cell
            .split(';')
            .map((v) => v.trim())
            .filter((v) => v !== '')
        : cell,
    );
  });
  return { ...out };
}

/** The column a validation issue is about (`subject.nationalities.1` → nationalities), or the path when no column has it. */
export function columnOf(path: string): string {
  const clean = path.replace(/^body\./, '');
  let best: Column | undefined;
  for (const c of SUBMISSION_CSV_COLUMNS)
    if ((clean === c.path || clean.startsWith(`${c.path}.`)) && (!best || c.path.length > best.path.length)) best = c;
  if (best) return best.name;
  if (clean === 'subject.stateId') return 'state_id';
  return clean;
}

export type RowError = { row: number; column: string; code: string; message: string };

/** The downloadable error report: one line per problem, by row number (the header is row 1). */
export function errorReportCsv(errors: readonly RowError[]): string {
  return csvText([['row', 'column', 'code', 'message'], ...errors.map((e) => [e.row, e.column, e.code, e.message])], {
    escapeFormulas: true,
  });
}
