import { inflateSync } from 'node:zlib';

/**
 * The text drawn in a PDF made by pdf-lib: its content streams inflated and the hex strings of its text operators
 * decoded (WinAnsi ≈ Latin-1). A check on the raw bytes would pass whatever the PDF said: they are compressed.
 */
export function pdfText(bytes: Uint8Array): string {
  const raw = Buffer.from(bytes);
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const start = raw.indexOf('stream', at, 'latin1');
    if (start < 0) break;
    let from = start + 'stream'.length;
    if (raw[from] === 0x0d) from += 1;
    if (raw[from] === 0x0a) from += 1;
    const end = raw.indexOf('endstream', from, 'latin1');
    if (end < 0) break;
    const body = raw.subarray(from, end);
    let text: string;
    try {
      text = inflateSync(body).toString('latin1');
    } catch {
      text = body.toString('latin1');
    }
    for (const m of text.matchAll(/<([0-9A-Fa-f\s]+)>\s*Tj/g))
      out.push(Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'hex').toString('latin1'));
    for (const m of text.matchAll(/\(((?:\\.|[^\\)])*)\)\s*Tj/g)) out.push(m[1] ?? '');
    at = end + 'endstream'.length;
  }
  return out.join('\n');
}
