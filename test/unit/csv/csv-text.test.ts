import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvText } from '../../../src/domain/csv/csv-text.js';

/** The CSV Switchboard writes (reports, submission error reports, the demo's agency registry), on csv-stringify. */

describe('csvText', () => {
  it('quotes commas, quotes and line breaks of either kind, ends lines with CRLF, and reads back as written', () => {
    const rows = [
      ['id', 'text'],
      ['1', 'a,b'],
      ['2', 'say "hi"'],
      ['3', 'line\nbreak'],
      ['4', 'carriage\rreturn'],
      ['5', ''],
    ];
    const text = csvText(rows, { escapeFormulas: false });
    expect(text).toBe('id,text\r\n1,"a,b"\r\n2,"say ""hi"""\r\n3,"line\nbreak"\r\n4,"carriage\rreturn"\r\n5,\r\n');
    expect(parse(text, { relax_column_count: false })).toEqual(rows);
  });

  it('escapes text a spreadsheet would run as a formula only when asked, and never a number', () => {
    const row = ['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', 'plain', 7, -3, null];
    expect(csvText([row], { escapeFormulas: true })).toBe(`"'=HYPERLINK(""x"")",'+1,'-2,'@SUM(A1),plain,7,-3,\r\n`);
    expect(csvText([row], { escapeFormulas: false })).toBe('"=HYPERLINK(""x"")",+1,-2,@SUM(A1),plain,7,-3,\r\n');
  });
});
