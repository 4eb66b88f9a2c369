import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_INPUT_DEPTH } from '../contracts/common.js';
import { AppError } from '../domain/errors/app-error.js';
import { MAX_XML_BYTES, readSubmissionXml } from './xml-submission.js';

/**
 * The JSON and XML body parsers. Both read raw bytes and decode them strictly:
 * bytes that are not valid in their encoding are refused, never replaced by
 * U+FFFD (the text rules of src/contracts/common.ts). They run after the access
 * guard (onRequest), so only a caller who may use the route gets its body read.
 */

/** The routes that take XML (partner submissions). Any other route refuses XML before reading it. */
export const XML_ROUTES: readonly string[] = ['/api/partner/v1/submissions'];

const XML_TYPES = new Set(['application/xml', 'text/xml']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The media type and its charset parameter, lower-cased. */
export function mediaType(header: string | undefined): { type: string; charset: string | undefined } {
  const [type = '', ...params] = (header ?? '').split(';');
  const charset = params
    .map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p)?.[1])
    .find((c) => c !== undefined)
    ?.toLowerCase();
  return { type: type.trim().toLowerCase(), charset };
}

/** Whether JSON text nests deeper than `max`: one linear pass over the text, before JSON.parse builds anything. */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const malformed = (code: string, message: string) =>
  new AppError('malformed_request', `The request could not be read: ${message}.`, { issues: [{ path: 'body', code, message }] });

export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const { charset } = mediaType(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new AppError('unsupported_media_type', 'JSON is accepted in UTF-8 only (RFC 8259).'), undefined);
      return;
    }
    const bytes = body as Buffer;
    // An empty body with a JSON content type (some clients send one on DELETE) is no body at all: the route's schema decides.
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      done(malformed('invalid_encoding', 'the body is not valid UTF-8'), undefined);
      return;
    }
    if (jsonNestsDeeperThan(text, MAX_INPUT_DEPTH)) {
      done(malformed('too_deep', `the JSON nests more than ${MAX_INPUT_DEPTH} deep`), undefined);
      return;
    }
    // Fastify's own parser (secure-json-parse) answers through the callback, synchronously; it returns nothing to await.
    void parseJson(request, text, (error, value) => {
      // Syntax errors and prototype poisoning (__proto__, constructor.prototype) alike.
      if (error) done(malformed('invalid_json', 'the body is not valid JSON, or names __proto__ or constructor.prototype'), undefined);
      else done(null, value);
    });
  });

  // XML anywhere but its routes is refused before a byte of it is read.
  app.addHook('preParsing', async (request: FastifyRequest) => {
    if (XML_TYPES.has(mediaType(request.headers['content-type']).type) && !XML_ROUTES.includes(request.routeOptions.url ?? '')) {
      throw new AppError('unsupported_media_type', 'XML is accepted only for partner submissions; send application/json.');
    }
  });
  // Partner submissions may come as XML (NIEM-style names), read safely into the JSON model.
  app.addContentTypeParser([...XML_TYPES], { parseAs: 'buffer', bodyLimit: MAX_XML_BYTES }, (request, body, done) => {
    const result = readSubmissionXml(body as Buffer, mediaType(request.headers['content-type']).charset);
    if (result.ok) done(null, result.value);
    else {
      const count = result.issues.length;
      done(
        new AppError('validation_failed', `The XML was not accepted: ${count === 1 ? '1 problem' : `${count} problems`}.`, {
          issues: result.issues,
        }),
        undefined,
      );
    }
  });
}
