import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { AppError } from '../domain/errors/app-error.js';

/**
 * CSV files (agency imports, bulk submission uploads) read with csv-parse as
 * a stream: each chunk is parsed as it arrives, so a large or hostile file
 * never holds the event loop, and never more than the byte limit is held.
 * RFC 4180: quoted fields may hold commas, quotes ("") and line breaks; blank
 * lines (and lines of empty fields) are not records.
 */

/** A CSV file as read: its text as sent (stored and hashed as is) and its records. */
export type CsvFile = {
  text: string;
  /** The records, header first, at most `keepRecords` of them. */
  records: string[][];
  /** How many records the file has, header included, even past those kept. */
  recordCount: number;
};

export type CsvLimits = {
  /** Bytes of input, at most: past that the file is refused (413) as soon as the excess arrives. */
  maxBytes: number;
  /** Records kept, at most; the rest are counted (so a refusal can say how many), not kept. */
  keepRecords: number;
};

/** The longest record accepted, in bytes: a narrative may have 10,000 characters of up to four bytes. */
export const MAX_CSV_RECORD_BYTES = 100_000;

const SLICE = 64 * 1024;

function* slices(text: string): Generator<string> {
  for (let at = 0; at < text.length; at += SLICE) yield text.slice(at, at + SLICE);
}

const blank = (record: readonly string[]) => record.every((field) => field.trim() === '');

function unreadable(error: CsvError): AppError {
  const line = typeof error.lines === 'number' ? ` (line ${error.lines})` : '';
  const message =
    error.code === 'CSV_MAX_RECORD_SIZE'
      ? `a row is longer than ${MAX_CSV_RECORD_BYTES.toLocaleString('en-US')} bytes${line}`
      : error.code === 'CSV_QUOTE_NOT_CLOSED'
        ? `a quoted field is never closed${line}`
        : `the CSV is malformed${line}`;
  return new AppError('validation_failed', `The file could not be read as CSV: ${message}.`, {
    issues: [{ path: 'body', code: 'csv_malformed', message }],
  });
}

/** Reads a CSV file from a stream (a request body) or from text already stored. */
export function readCsv(input: Readable | string, limits: CsvLimits): Promise<CsvFile> {
  const source = typeof input === 'string' ? Readable.from(slices(input)) : input;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    // Any line ending, even mixed in one file (CRLF first, so it is one ending, not two).
    record_delimiter: ['\r\n', '\n', '\r'],
    // A row with more or fewer fields than the header is the caller's to report, row by row.
    relax_column_count: true,
    // A quote inside an unquoted field is taken as text, as spreadsheets write it.
    relax_quotes: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  const chunks: Buffer[] = [];
  const records: string[][] = [];
  let bytes = 0;
  let recordCount = 0;
  return new Promise<CsvFile>((resolve, reject) => {
    let settled = false;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      detach();
      parser.destroy();
      reject(error instanceof CsvError ? unreadable(error) : error);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > limits.maxBytes) {
        fail(new AppError('payload_too_large', `The file is larger than ${limits.maxBytes.toLocaleString('en-US')} bytes.`));
        return;
      }
      if (typeof input !== 'string') chunks.push(buffer);
      if (!parser.write(buffer)) {
        source.pause();
        parser.once('drain', () => source.resume());
      }
    };
    const onEnd = () => parser.end();
    const onSourceError = (error: Error) => fail(error);
    parser.on('readable', () => {
      for (let record: string[] | null = parser.read(); record !== null; record = parser.read()) {
        if (blank(record)) continue;
        recordCount += 1;
        if (records.length < limits.keepRecords) records.push(record);
      }
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      detach();
      resolve({ text: typeof input === 'string' ? input : Buffer.concat(chunks).toString('utf8'), records, recordCount });
    });
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onSourceError);
  });
}

export const isCsvFile = (value: unknown): value is CsvFile =>
  typeof value === 'object' &&
  value !== null &&
  'text' in value &&
  typeof value.text === 'string' &&
  'records' in value &&
  Array.isArray(value.records) &&
  'recordCount' in value &&
  typeof value.recordCount === 'number';
