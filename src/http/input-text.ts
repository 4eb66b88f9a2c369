import { MAX_INPUT_DEPTH, textProblem } from '../contracts/common.js';
import type { FieldIssue } from '../domain/errors/app-error.js';

/**
 * Applies the text rules (src/contracts/common.ts TEXT_RULES) to a parsed input
 * — body, query or path parameters, whatever content type it came in — before
 * any schema or service sees it: refused characters and excessive nesting are
 * reported as issues with their paths; every accepted string value is put in
 * NFC. Objects and arrays are changed in place (they are the request's own,
 * fresh from a parser); a top-level string is returned normalised.
 */

const MAX_ISSUES = 50;

/** A field name as it can be shown in an issue path: refused and control characters escaped, so the answer never echoes them. */
const printable = (key: string) =>
  key.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes.
    /[\u0000-\u001F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDFFF]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );

export function applyTextRules(value: unknown, where: string): { value: unknown; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const report = (path: string, code: string, message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ path, code, message });
  };
  const visit = (node: unknown, path: string, depth: number): unknown => {
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) {
        report(path, problem.code, problem.message);
        return node;
      }
      return node.normalize('NFC');
    }
    if (typeof node !== 'object' || node === null) return node;
    if (depth > MAX_INPUT_DEPTH) {
      report(path, 'too_deep', `nested more than ${MAX_INPUT_DEPTH} deep`);
      return node;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length && issues.length < MAX_ISSUES; i++) {
        const next = visit(node[i], `${path}.${i}`, depth + 1);
        if (next !== node[i]) node[i] = next;
      }
      return node;
    }
    // Buffers (raw attachment bodies) are bytes, not text.
    if (Buffer.isBuffer(node)) return node;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (issues.length >= MAX_ISSUES) break;
      const keyProblem = textProblem(key);
      if (keyProblem) {
        report(`${path}.${printable(key)}`, keyProblem.code, `a field name ${keyProblem.message}`);
        continue;
      }
      const next = visit(record[key], `${path}.${key}`, depth + 1);
      if (next !== record[key]) record[key] = next;
    }
    return node;
  };
  const result = visit(value, where, 1);
  return { value: result, issues };
}
