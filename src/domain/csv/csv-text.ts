import { stringify } from 'csv-stringify/sync';

/**
 * CSV as Switchboard writes it (csv-stringify): RFC 4180 — CRLF line ends, a field quoted when it holds a comma, a
 * quote (doubled), or a line break of either kind (csv-stringify alone quotes only the record delimiter, so a bare
 * LF or CR is named here). `escapeFormulas`: a text field a spreadsheet would read as a formula (a leading =, +, -,
 * @, tab or CR) is prefixed with an apostrophe — for files people open in a spreadsheet, never for data read back.
 */
export function csvText(rows: readonly (readonly (string | number | null)[])[], options: { escapeFormulas: boolean }): string {
  return stringify(
    rows.map((row) => [...row]),
    { record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: options.escapeFormulas },
  );
}
