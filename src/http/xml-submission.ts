import { SaxesParser } from 'saxes';
import type { FieldIssue } from '../domain/errors/app-error.js';

/**
 * The XML form of a partner submission, with NIEM-style element names
 * (docs/PARTNER-API.md), read into the same object the JSON form is, so one
 * schema validates both. Read safely: a document type declaration is refused
 * outright (so no external entity and no entity expansion is ever possible),
 * only the five predefined entities exist, every element must be one we know,
 * and the body size, the nesting depth and the numbers of elements and
 * attributes are limited.
 * The first breach of a limit (or a DTD, or a processing instruction) stops the
 * parser at once — nothing after it is read — so the work done is linear in the
 * bytes read and bounded by the limits. The worst body of the largest size
 * (128 KiB of text dense with entity references) takes single-digit
 * milliseconds on the event loop, like JSON.parse of a 1 MiB JSON body, and
 * only a partner already authenticated gets that far: no worker thread
 * (figures in BENCHMARKS.md, `npm run bench:input`).
 *
 * Encoding: UTF-8 unless the XML declaration (or the content type's charset)
 * says ISO-8859-1 or US-ASCII; both are honoured. Any other encoding is refused
 * (`xml_encoding_unsupported`), as are a declaration and a charset that disagree
 * (`xml_encoding_conflict`) and bytes that are not valid in the encoding
 * (`invalid_encoding`) — never read as something else.
 */

export const MAX_XML_DEPTH = 8;
/** A submission has about thirty elements; ten times that is plenty. */
export const MAX_XML_ELEMENTS = 300;
/** Attributes carry nothing in a submission; namespace declarations are the only ones expected. */
export const MAX_XML_ATTRIBUTES = 20;
export const MAX_XML_BYTES = 131_072;
export const XML_NAMESPACE = 'urn:switchboard:partner:1';

type Spec = { key: string; kind: 'text' | 'list' | 'object'; children?: Record<string, Spec> };

const person: Record<string, Spec> = {
  PersonGivenName: { key: 'givenNames', kind: 'text' },
  PersonSurName: { key: 'familyName1', kind: 'text' },
  PersonSecondSurName: { key: 'familyName2', kind: 'text' },
  PersonBirthDate: { key: 'dob', kind: 'text' },
  PersonBirthDateBasisCode: { key: 'dobBasis', kind: 'text' },
  PersonSexCode: { key: 'sex', kind: 'text' },
  PersonCitizenshipCode: { key: 'nationalities', kind: 'list' },
  PersonLanguageText: { key: 'languages', kind: 'list' },
  PersonAlienNumber: { key: 'aNumber', kind: 'text' },
  PersonFBIIdentification: { key: 'fbiNumber', kind: 'text' },
  PersonStateIdentification: {
    key: 'stateId',
    kind: 'object',
    children: { IdentificationID: { key: 'value', kind: 'text' }, IdentificationJurisdictionCode: { key: 'state', kind: 'text' } },
  },
};

const ROOT: Record<string, Spec> = {
  SubmissionCategoryCode: { key: 'type', kind: 'text' },
  ActivityDateTime: { key: 'occurredAt', kind: 'text' },
  ActivityDescriptionText: { key: 'narrative', kind: 'text' },
  ConcernCategoryCode: { key: 'concern', kind: 'text' },
  ReportingOfficer: {
    key: 'officer',
    kind: 'object',
    children: { PersonFullName: { key: 'name', kind: 'text' }, OfficerBadgeIdentification: { key: 'badge', kind: 'text' } },
  },
  SubjectPerson: { key: 'subject', kind: 'object', children: person },
  Location: {
    key: 'location',
    kind: 'object',
    children: {
      LocationStreet: { key: 'line1', kind: 'text' },
      LocationCityName: { key: 'city', kind: 'text' },
      LocationCountyName: { key: 'county', kind: 'text' },
      LocationStateUSPostalServiceCode: { key: 'state', kind: 'text' },
      LocationPostalCode: { key: 'zip', kind: 'text' },
    },
  },
  Booking: {
    key: 'booking',
    kind: 'object',
    children: {
      BookingIdentification: { key: 'number', kind: 'text' },
      BookingFacilityName: { key: 'facility', kind: 'text' },
      BookingReleaseExpectedDateTime: { key: 'releaseExpectedAt', kind: 'text' },
    },
  },
};

export type XmlResult = { ok: true; value: Record<string, unknown> } | { ok: false; issues: FieldIssue[] };

type Frame = { name: string; spec: Spec | undefined; object: Record<string, unknown>; text: string; path: string };

/** Thrown from a parser event to stop reading at once. */
class Stop extends Error {}

type Encoding = 'utf-8' | 'iso-8859-1' | 'us-ascii';

const ENCODING_NAMES: Record<string, Encoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  iso_8859_1: 'iso-8859-1',
  'iso_8859-1': 'iso-8859-1',
  latin1: 'iso-8859-1',
  l1: 'iso-8859-1',
  'us-ascii': 'us-ascii',
  ascii: 'us-ascii',
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The encoding the XML declaration names, if any (the declaration is ASCII in every encoding we read). */
function declaredEncoding(bytes: Buffer): string | undefined {
  const prolog = bytes.subarray(0, 200).toString('latin1');
  return /^<\?xml\s[^?]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(prolog)?.[1]?.toLowerCase();
}

function decode(bytes: Buffer, charset: string | undefined): { ok: true; text: string } | { ok: false; issue: FieldIssue } {
  const refuse = (code: string, message: string) => ({ ok: false as const, issue: { path: 'body', code, message } });
  if (bytes[0] === 0xfe || bytes[0] === 0xff || (bytes[0] === 0 && bytes[1] === 0x3c)) {
    return refuse('xml_encoding_unsupported', 'UTF-16 and UTF-32 are not accepted; send UTF-8 (or ISO-8859-1, declared)');
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const declared = declaredEncoding(bom ? bytes.subarray(3) : bytes);
  const named = [charset, declared].filter((n): n is string => n !== undefined);
  const encodings = named.map((n) => ENCODING_NAMES[n]);
  const unknown = named.find((n) => ENCODING_NAMES[n] === undefined);
  if (unknown) return refuse('xml_encoding_unsupported', `the encoding ${unknown} is not accepted; send UTF-8, ISO-8859-1 or US-ASCII`);
  if (encodings.length === 2 && encodings[0] !== encodings[1]) {
    return refuse('xml_encoding_conflict', `the content type says ${charset} but the XML declaration says ${declared}`);
  }
  const encoding = encodings[0] ?? 'utf-8';
  if (bom && encoding !== 'utf-8')
    return refuse('xml_encoding_conflict', `a UTF-8 byte order mark, but the encoding ${encoding} is declared`);
  if (encoding === 'iso-8859-1') return { ok: true, text: bytes.toString('latin1') };
  if (encoding === 'us-ascii') {
    const at = bytes.findIndex((b) => b > 0x7f);
    if (at !== -1) return refuse('invalid_encoding', `byte ${at} is not US-ASCII`);
    return { ok: true, text: bytes.toString('latin1') };
  }
  try {
    return { ok: true, text: strictUtf8.decode(bom ? bytes.subarray(3) : bytes) };
  } catch {
    return refuse('invalid_encoding', 'the body is not valid UTF-8');
  }
}

/** Reads a partner submission from XML bytes; `charset` is the content type's charset parameter, if it has one. */
export function readSubmissionXml(bytes: Buffer, charset?: string): XmlResult {
  if (bytes.length > MAX_XML_BYTES) {
    return { ok: false, issues: [{ path: 'body', code: 'xml_too_large', message: `more than ${MAX_XML_BYTES} bytes` }] };
  }
  const decoded = decode(bytes, charset);
  if (!decoded.ok) return { ok: false, issues: [decoded.issue] };
  const issues: FieldIssue[] = [];
  const fail = (path: string, code: string, message: string) => {
    if (issues.length < 50) issues.push({ path, code, message });
  };
  const stop = (path: string, code: string, message: string): never => {
    // The reason reading stopped is always reported, even past the cap on other issues.
    issues.push({ path, code, message });
    throw new Stop(code);
  };
  const parser = new SaxesParser({ xmlns: true, position: true });
  const root: Record<string, unknown> = {};
  const stack: Frame[] = [];
  let sawRoot = false;
  let elements = 0;
  parser.on('doctype', () => stop('body', 'xml_doctype_forbidden', 'a document type declaration (DTD) is not accepted'));
  parser.on('processinginstruction', (pi) => {
    if (pi.target.toLowerCase() !== 'xml') stop('body', 'xml_processing_instruction', 'processing instructions are not accepted');
  });
  let attributes = 0;
  // Counted as each is read, before saxes resolves a tag's attributes (the costly part of a tag with thousands).
  parser.on('attribute', () => {
    attributes += 1;
    if (attributes > MAX_XML_ATTRIBUTES) stop('body', 'xml_too_many_attributes', `more than ${MAX_XML_ATTRIBUTES} attributes`);
  });
  parser.on('opentag', (tag) => {
    elements += 1;
    if (elements > MAX_XML_ELEMENTS) stop('body', 'xml_too_many_elements', `more than ${MAX_XML_ELEMENTS} elements`);
    if (stack.length + 1 > MAX_XML_DEPTH) stop('body', 'xml_too_deep', `elements are nested more than ${MAX_XML_DEPTH} deep`);
    const parent = stack.at(-1);
    if (!parent) {
      if (sawRoot) stop('body', 'xml_malformed', 'only one root element');
      sawRoot = true;
      if (tag.local !== 'PartnerSubmission' || tag.uri !== XML_NAMESPACE) {
        stop('body', 'xml_root', `the root element is PartnerSubmission in the namespace ${XML_NAMESPACE}`);
      }
      stack.push({ name: tag.local, spec: { key: '', kind: 'object', children: ROOT }, object: root, text: '', path: 'body' });
      return;
    }
    const spec = parent.spec?.children?.[tag.local];
    const path = `${parent.path}.${tag.local}`;
    if (!spec || tag.uri !== XML_NAMESPACE) {
      fail(path, 'unknown_element', `unknown element ${tag.name}`);
      stack.push({ name: tag.local, spec: undefined, object: {}, text: '', path });
      return;
    }
    stack.push({ name: tag.local, spec, object: spec.kind === 'object' ? {} : parent.object, text: '', path });
  });
  parser.on('text', (text) => {
    const top = stack.at(-1);
    if (!top) return;
    if (top.spec && top.spec.kind !== 'object') top.text += text;
    else if (text.trim()) fail(top.path, 'unexpected_text', 'text is not expected here');
  });
  parser.on('closetag', () => {
    const frame = stack.pop();
    const parent = stack.at(-1);
    if (!frame?.spec || !parent) return;
    const target = parent.object;
    if (frame.spec.kind === 'text') {
      if (frame.spec.key in target) fail(frame.path, 'repeated_element', `${frame.name} appears more than once`);
      target[frame.spec.key] = frame.text.trim();
    } else if (frame.spec.kind === 'list') {
      const list = (target[frame.spec.key] as string[] | undefined) ?? [];
      list.push(frame.text.trim());
      target[frame.spec.key] = list;
    } else {
      if (frame.spec.key in target) fail(frame.path, 'repeated_element', `${frame.name} appears more than once`);
      target[frame.spec.key] = frame.object;
    }
  });
  // saxes reports a well-formedness error and would go on reading: the first one ends the reading.
  parser.on('error', (error) => stop('body', 'xml_malformed', error.message.replace(/^undefined:/, '')));
  try {
    parser.write(decoded.text);
    parser.close();
  } catch (error) {
    if (!(error instanceof Stop)) fail('body', 'xml_malformed', error instanceof Error ? error.message : 'not well-formed XML');
  }
  if (!sawRoot && issues.length === 0) fail('body', 'xml_malformed', 'no root element');
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: root };
}
