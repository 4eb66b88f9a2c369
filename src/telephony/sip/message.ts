/**
 * SIP messages (RFC 3261 §7): parsing with hard limits and serialisation.
 * Header names are kept lower-case with compact forms expanded; headers that
 * may carry several comma-separated values (Via, Route, Record-Route,
 * Contact) are split into one entry per value. Anything malformed is an
 * error value, never an exception, with the status a server should answer
 * (400 Bad Request, 513 Message Too Large) when it can answer at all.
 */

export type Headers = Map<string, string[]>;
export type SipRequest = { kind: 'request'; method: string; uri: string; headers: Headers; body: string };
export type SipResponse = { kind: 'response'; status: number; reason: string; headers: Headers; body: string };
export type SipMessage = SipRequest | SipResponse;

export const LIMITS = { messageBytes: 16_384, headerCount: 80, headerLineBytes: 2_048 } as const;

const COMPACT: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};
const MULTI = new Set(['via', 'route', 'record-route', 'contact']);
const CANONICAL: Readonly<Record<string, string>> = {
  via: 'Via',
  from: 'From',
  to: 'To',
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  contact: 'Contact',
  'content-length': 'Content-Length',
  'content-type': 'Content-Type',
  'max-forwards': 'Max-Forwards',
  'record-route': 'Record-Route',
  route: 'Route',
  'www-authenticate': 'WWW-Authenticate',
  'user-agent': 'User-Agent',
  allow: 'Allow',
  supported: 'Supported',
  'retry-after': 'Retry-After',
};
/** Requests must have these to be handled (RFC 3261 §8.1.1). */
export const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards'] as const;
/** A response needs these copied from the request. */
export const RESPONSE_COPIES = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

export type ParseError = { ok: false; status: 400 | 513; reason: string; partial: SipRequest | null };
export type ParseResult = { ok: true; message: SipMessage } | ParseError;

/** Splits a header value on commas outside quotes and angle brackets. */
function splitValues(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v !== '');
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

export function parseMessage(raw: Buffer | string): ParseResult {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  const fail = (status: 400 | 513, reason: string, partial: SipRequest | null = null): ParseError => ({
    ok: false,
    status,
    reason,
    partial,
  });
  let split = text.indexOf('\r\n\r\n');
  let sep = 4;
  if (split < 0) {
    split = text.indexOf('\n\n');
    sep = 2;
  }
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + sep);
  const lines = head.split(/\r?\n/);
  while (lines.length > 0 && lines[0] === '') lines.shift(); // keep-alive CRLFs before a message
  const startLine = lines.shift() ?? '';
  const headers: Headers = new Map();
  let count = 0;
  let tooLong = false;
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  let malformedHeader: string | null = null;
  for (const line of unfolded) {
    if (line.length > LIMITS.headerLineBytes) tooLong = true;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      malformedHeader ??= line.slice(0, 40);
      continue;
    }
    const rawName = line.slice(0, colon).trim().toLowerCase();
    if (!TOKEN.test(rawName)) {
      malformedHeader ??= rawName.slice(0, 40);
      continue;
    }
    const name = COMPACT[rawName] ?? rawName;
    const value = line.slice(colon + 1).trim();
    const values = MULTI.has(name) ? splitValues(value) : [value];
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
    count += 1;
  }
  const requestLine = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  const statusLine = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(startLine);
  const partial: SipRequest | null = requestLine
    ? { kind: 'request', method: (requestLine[1] as string).toUpperCase(), uri: requestLine[2] as string, headers, body }
    : null;
  if (size > LIMITS.messageBytes || count > LIMITS.headerCount || tooLong) return fail(513, 'Message Too Large', partial);
  if (!requestLine && !statusLine) return fail(400, 'Bad Request Line', null);
  if (malformedHeader !== null) return fail(400, 'Malformed Header', partial);
  const declared = headers.get('content-length')?.[0];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isInteger(n) || n < 0) return fail(400, 'Bad Content-Length', partial);
    const bytes = Buffer.byteLength(body);
    if (bytes < n) return fail(400, 'Truncated Body', partial);
  }
  const content = declared !== undefined ? Buffer.from(body).subarray(0, Number(declared)).toString('utf8') : body;
  if (statusLine) {
    return { ok: true, message: { kind: 'response', status: Number(statusLine[1]), reason: statusLine[2] ?? '', headers, body: content } };
  }
  const request: SipRequest = { ...(partial as SipRequest), body: content };
  for (const name of REQUIRED) {
    if (!headers.get(name)?.length) return fail(400, `Missing ${CANONICAL[name] ?? name}`, request);
  }
  const cseq = parseCSeq(first(request, 'cseq'));
  if (!cseq) return fail(400, 'Bad CSeq', request);
  if (cseq.method !== request.method && !(request.method === 'ACK' && cseq.method === 'ACK'))
    return fail(400, 'CSeq Method Mismatch', request);
  if (!/^sip:|^sips:|^tel:/i.test(request.uri)) return fail(400, 'Bad Request-URI', request);
  if (!parseVia(first(request, 'via'))) return fail(400, 'Bad Via', request);
  if (!parseNameAddr(first(request, 'from')) || !parseNameAddr(first(request, 'to'))) return fail(400, 'Bad From or To', request);
  const maxForwards = Number(first(request, 'max-forwards'));
  if (!Number.isInteger(maxForwards) || maxForwards < 0) return fail(400, 'Bad Max-Forwards', request);
  return { ok: true, message: request };
}

export const first = (m: { headers: Headers }, name: string): string => m.headers.get(name)?.[0] ?? '';

export function serialize(m: SipMessage): Buffer {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [name, values] of m.headers) {
    if (name === 'content-length') continue;
    const label = CANONICAL[name] ?? name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
    for (const v of values) lines.push(`${label}: ${v}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(m.body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${m.body}`);
}

export type Params = Record<string, string>;
function parseParams(text: string): Params {
  const params: Params = {};
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params[p.toLowerCase()] = '';
    else params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return params;
}

export type Via = { transport: string; host: string; port: number | null; params: Params };
export function parseVia(value: string): Via | null {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?$/.exec(value.trim());
  if (!m) return null;
  const hostPort = m[2] as string;
  const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!hp) return null;
  return {
    transport: (m[1] as string).toUpperCase(),
    host: hp[1] as string,
    port: hp[2] ? Number(hp[2]) : null,
    params: parseParams(m[3] ?? ''),
  };
}

export type NameAddr = { display: string | null; uri: string; params: Params };
export function parseNameAddr(value: string): NameAddr | null {
  const v = value.trim();
  const angle = /^(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]+)>\s*(;.*)?$/.exec(v);
  if (angle) {
    const display = angle[1] ?? (angle[2]?.trim() || null);
    return { display, uri: angle[3] as string, params: parseParams(angle[4] ?? '') };
  }
  // addr-spec without brackets: parameters after ';' belong to the header, not the URI.
  const semi = v.indexOf(';');
  const uri = semi < 0 ? v : v.slice(0, semi);
  if (!/^(sips?|tel):\S+$/i.test(uri)) return null;
  return { display: null, uri, params: parseParams(semi < 0 ? '' : v.slice(semi)) };
}

export function formatNameAddr(a: NameAddr): string {
  const display = a.display ? `"${a.display.replace(/"/g, '')}" ` : '';
  const params = Object.entries(a.params)
    .map(([k, val]) => (val === '' ? `;${k}` : `;${k}=${val}`))
    .join('');
  return `${display}<${a.uri}>${params}`;
}

export function parseCSeq(value: string): { seq: number; method: string } | null {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(value.trim());
  if (!m) return null;
  const seq = Number(m[1]);
  return seq < 2 ** 31 ? { seq, method: (m[2] as string).toUpperCase() } : null;
}

/** Percent-decoding that never throws: a bad escape is kept as written (it then matches no line). */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export type SipUri = { scheme: string; user: string | null; host: string; port: number | null; params: Params };
export function parseUri(uri: string): SipUri | null {
  const m = /^(sips?):(?:([^@;]+)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d{1,5}))?([^?]*)/i.exec(uri.trim());
  if (!m) return null;
  return {
    scheme: (m[1] as string).toLowerCase(),
    user: m[2] ? safeDecode(m[2].split(':')[0] as string) : null,
    host: m[3] as string,
    port: m[4] ? Number(m[4]) : null,
    params: parseParams(m[5] ?? ''),
  };
}

export const randomToken = (bytes = 8): string => {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
};

/** A response to a request, with the headers RFC 3261 §8.2.6 says to copy, and a To tag on everything but 100. */
export function makeResponse(
  request: SipRequest,
  status: number,
  reason: string,
  options: { toTag?: string; headers?: [string, string][]; body?: string; contentType?: string } = {},
): SipResponse {
  const headers: Headers = new Map();
  for (const name of RESPONSE_COPIES) {
    const values = request.headers.get(name);
    if (values?.length) headers.set(name, [...values]);
  }
  if (status > 100 && options.toTag) {
    const to = parseNameAddr(first(request, 'to'));
    if (to && to.params.tag === undefined) headers.set('to', [formatNameAddr({ ...to, params: { ...to.params, tag: options.toTag } })]);
  }
  if (status > 100 && status < 300 && request.headers.get('record-route'))
    headers.set('record-route', [...(request.headers.get('record-route') ?? [])]);
  for (const [name, value] of options.headers ?? []) headers.set(name.toLowerCase(), [...(headers.get(name.toLowerCase()) ?? []), value]);
  if (options.body) headers.set('content-type', [options.contentType ?? 'application/sdp']);
  return { kind: 'response', status, reason, headers, body: options.body ?? '' };
}
