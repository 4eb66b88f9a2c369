/**
 * The query-string parser of every route: `a=1&a=2&b` → { a: ['1', '2'], b: '' },
 * `+` a space, percent-escapes decoded as UTF-8 — strictly. A value whose escapes
 * are not valid UTF-8 (`%FF`, an encoded surrogate) is not silently replaced by
 * U+FFFD or kept as typed: the query is marked undecodable and the route refuses
 * it with 400 (find-my-way calls this parser while routing, where it must not
 * throw). The text rules (NUL, surrogates, bidi controls, NFC) apply afterwards,
 * as to every input.
 */

const undecodable = new WeakSet<object>();

function decode(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

export function parseQueryString(raw: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  if (raw.length === 0) return result;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decode(part.slice(eq + 1));
    if (key === undefined || value === undefined) {
      undecodable.add(result);
      continue;
    }
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  }
  return result;
}

/** True when some part of the query could not be decoded as UTF-8. */
export const isUndecodableQuery = (query: unknown): boolean => typeof query === 'object' && query !== null && undecodable.has(query);
