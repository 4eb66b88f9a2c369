import { z } from 'zod';

/** Shapes shared by the server and the web app. */

export const ZFieldIssue = z.object({
  path: z.string().describe('dotted path of the field, e.g. "subjects.0.dob"; empty for the whole input'),
  code: z.string(),
  message: z.string(),
});

export const ZErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('stable machine-readable code, e.g. validation_failed, unauthenticated, forbidden'),
    message: z.string().describe('what went wrong, for people'),
    requestId: z.string().describe('quote this when reporting a problem'),
    issues: z.array(ZFieldIssue).optional().describe('every invalid field, for validation_failed'),
  }),
});
export type TErrorResponse = z.infer<typeof ZErrorResponse>;

export const ZHealth = z.object({ status: z.literal('ok') });

/** The answer of a command that has nothing else to say. */
export const ZOk = z.object({ ok: z.literal(true) });
export type Ok = z.infer<typeof ZOk>;

/** A non-JSON answer (CSV, Prometheus text, TwiML, an attachment's bytes): its route's content type says which. */
export const ZTextResponse = z.string();

/** GET /api/openapi.json: the OpenAPI 3 document of this API (its own standard's shape, not described again here). */
export const ZOpenApiDocument = z.record(z.string(), z.unknown());
export type OpenApiDocument = z.infer<typeof ZOpenApiDocument>;

/** The body of a command that takes none: absent, or an empty object (nothing else). */
export const ZEmptyBody = z.strictObject({}).optional();
export type EmptyBody = z.infer<typeof ZEmptyBody>;

export const ZReadiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'read_only', 'unreachable']),
    migrations: z.enum(['ok', 'pending', 'unknown', 'mismatch']),
  }),
  /** This node's part in the routing engine: the leader fires its timers and runs the background jobs. */
  routing: z.object({
    node: z.string().nullable(),
    role: z.enum(['leader', 'follower']),
    epoch: z.number().int().nullable(),
  }),
});
export type TReadiness = z.infer<typeof ZReadiness>;

/**
 * The text rules of every string the API takes — JSON bodies, XML, forms, query
 * values and path parameters alike — so that what is stored is what the caller
 * sent and was acknowledged:
 * - refused (400, the issue's code names the rule): NUL (U+0000) `text_nul`; an
 *   unpaired surrogate `text_lone_surrogate` (not a character, and not storable);
 *   the bidirectional embedding, override and isolate controls U+202A–U+202E and
 *   U+2066–U+2069 `text_bidi_control` (they make a name display as something other
 *   than what is stored); nesting deeper than MAX_INPUT_DEPTH `too_deep`.
 * - normalised: every accepted string value is stored in Unicode Normalization
 *   Form C (NFC). That changes only how a character is encoded, never which
 *   characters there are: "é" sent as "e" + U+0301 is stored as the one code point
 *   U+00E9. Object keys are checked, not normalised.
 * Bodies must be UTF-8 (XML may also declare ISO-8859-1 or US-ASCII); bytes that
 * are not valid in their encoding are refused (`invalid_encoding`), never
 * replaced by U+FFFD.
 */
export const TEXT_RULES =
  'Text: every string is stored in Unicode NFC (canonically equivalent forms are composed; no character is added, removed or replaced). Refused with 400: NUL (text_nul), unpaired surrogates (text_lone_surrogate), the bidirectional embedding, override and isolate controls U+202A–U+202E and U+2066–U+2069 (text_bidi_control), nesting deeper than 32 (too_deep), and bytes that are not valid UTF-8 (invalid_encoding).';

export const MAX_INPUT_DEPTH = 32;

export type TextProblem = { code: 'text_nul' | 'text_lone_surrogate' | 'text_bidi_control'; message: string };

// With the u flag a surrogate class matches only unpaired surrogates: a valid pair is one code point.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters this rule exists to refuse.
const REFUSED_TEXT = /[\u0000\u202A-\u202E\u2066-\u2069]|[\uD800-\uDFFF]/u;

/** What breaks the text rules in one string, if anything (the first offence). */
export function textProblem(value: string): TextProblem | undefined {
  const found = REFUSED_TEXT.exec(value)?.[0];
  if (found === undefined) return undefined;
  if (found === '\u0000') return { code: 'text_nul', message: 'must not contain NUL (U+0000)' };
  const hex = (found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  if (found.length === 1 && found >= '\uD800' && found <= '\uDFFF') {
    return { code: 'text_lone_surrogate', message: `must not contain an unpaired surrogate (U+${hex})` };
  }
  return { code: 'text_bidi_control', message: `must not contain the bidirectional control U+${hex}` };
}
