import { MIN_PURPOSE_LENGTH, PURPOSE_CODES, type PurposeCode } from '../../contracts/vocabulary.js';
import type { FieldIssue } from '../errors/app-error.js';

/**
 * Purpose of use: reading a child's record (or one whose age is unknown, or a
 * UAC case) asks why — a reason from the list and a few words — and the audit
 * keeps both. Auditors read them back in the oversight report.
 */

export { MIN_PURPOSE_LENGTH, PURPOSE_CODES, type PurposeCode };

export type StatedPurpose = { code: PurposeCode; text: string };

/** At least two words of two or more letters, and not one letter repeated ("aaaaaaaaaa") or a keyboard run. */
function readable(text: string): boolean {
  const words = text.match(/\p{L}{2,}/gu) ?? [];
  if (words.length < 2) return false;
  const letters = text.toLowerCase().replace(/[^\p{L}]/gu, '');
  return new Set(letters).size >= 4;
}

/** The stated purpose, or the issues that say what is missing. */
export function checkPurpose(
  code: PurposeCode | undefined,
  text: string | undefined,
): { purpose: StatedPurpose } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const words = text?.trim() ?? '';
  if (!code) issues.push({ path: 'query.purposeCode', code: 'required', message: `one of ${PURPOSE_CODES.join(', ')}` });
  if (words.length < MIN_PURPOSE_LENGTH)
    issues.push({ path: 'query.purpose', code: 'too_short', message: `say why in at least ${MIN_PURPOSE_LENGTH} characters` });
  else if (!readable(words))
    issues.push({
      path: 'query.purpose',
      code: 'not_words',
      message: 'say why in words a reviewer can read: at least two words (not a code, digits or repeated letters)',
    });
  if (issues.length > 0 || !code) return { issues };
  return { purpose: { code, text: words } };
}

export const auditPurpose = (p: StatedPurpose): string => `${p.code}: ${p.text}`;
