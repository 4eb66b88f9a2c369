import { z } from 'zod';
import { type CsvFile, isCsvFile } from '../services/csv-reader.js';

/** The body of a CSV route: the file as app.ts's text/csv parser read it (documented as a string). */
export const ZCsvBody = z.custom<CsvFile>(isCsvFile, { message: 'send the file as the body, with content-type text/csv' });
