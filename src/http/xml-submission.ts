import { SaxesParser } from 'saxes';
import type { FieldIssue } from '../domain/errors/app-error.js';

/**
 * The XML form of a partner submission, with NIEM-style element names
 * (docs/PARTNER-API.md), read into the same object the JSON form is, so one
 * schema validates both. Read safely: a document type declaration is refused
 * outright (so no external entity and no entity expansion is ever possible),
 * only the five predefined entities exist, nesting is limited, every element
 * must be one we know, and the body size is limited by the route.
 */

export const MAX_XML_DEPTH = 8;
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

export function readSubmissionXml(xml: string): XmlResult {
  const issues: FieldIssue[] = [];
  const fail = (path: string, code: string, message: string) => {
    if (issues.length < 50) issues.push({ path, code, message });
  };
  const parser = new SaxesParser({ xmlns: true, position: true });
  const root: Record<string, unknown> = {};
  const stack: Frame[] = [];
  let sawRoot = false;
  let stopped = false;
  const stop = (path: string, code: string, message: string) => {
    fail(path, code, message);
    stopped = true;
  };
  parser.on('doctype', () => stop('body', 'xml_doctype_forbidden', 'a document type declaration (DTD) is not accepted'));
  parser.on('processinginstruction', (pi) => {
    if (pi.target.toLowerCase() !== 'xml') stop('body', 'xml_processing_instruction', 'processing instructions are not accepted');
  });
  parser.on('opentag', (tag) => {
    if (stopped) return;
    const parent = stack.at(-1);
    if (stack.length + 1 > MAX_XML_DEPTH) return stop('body', 'xml_too_deep', `elements are nested more than ${MAX_XML_DEPTH} deep`);
    if (!parent) {
      if (sawRoot) return stop('body', 'xml_malformed', 'only one root element');
      sawRoot = true;
      if (tag.local !== 'PartnerSubmission' || tag.uri !== XML_NAMESPACE) {
        return stop('body', 'xml_root', `the root element is PartnerSubmission in the namespace ${XML_NAMESPACE}`);
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
    if (!top || stopped) return;
    if (top.spec && top.spec.kind !== 'object') top.text += text;
    else if (text.trim()) fail(top.path, 'unexpected_text', 'text is not expected here');
  });
  parser.on('closetag', () => {
    if (stopped) return;
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
  parser.on('error', (error) => {
    stop('body', 'xml_malformed', error.message.replace(/^undefined:/, ''));
  });
  try {
    parser.write(xml);
    if (!stopped) parser.close();
  } catch (error) {
    if (!stopped) fail('body', 'xml_malformed', error instanceof Error ? error.message : 'not well-formed XML');
  }
  if (!sawRoot && issues.length === 0) fail('body', 'xml_malformed', 'no root element');
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: root };
}
