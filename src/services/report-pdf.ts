import { PDFDocument, type PDFFont, rgb, StandardFonts } from 'pdf-lib';
import type { TReport } from '../contracts/reports.js';

/**
 * A report as PDF (US letter, landscape): the title, the range in the center's time zone, a line chart of the first
 * metric (all groups added up, for counts; the table has every figure) and the table, page after page. Rendered on the
 * server, as the referral packet is: the same fonts for everyone, the read audited, and no PDF library in the page.
 */

const WIDTH = 792;
const HEIGHT = 612;
const MARGIN = 40;

/** Standard PDF fonts speak WinAnsi: keep Latin-1 letters (Spanish accents), replace the rest. */
const winAnsi = (s: string) =>
  s
    .normalize('NFC')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\x20-\x7E\xA0-\xFF]/g, '?');

export function formatValue(value: number | null | undefined, unit: 'count' | 'ratio' | 'seconds'): string {
  if (value === null || value === undefined) return '-';
  if (unit === 'ratio') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'seconds') return value.toFixed(1);
  return String(Math.round(value));
}

export function localTime(iso: string, timeZone: string, interval: TReport['interval']): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'day'
      ? { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }
      : {
          timeZone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          hourCycle: 'h23',
          timeZoneName: 'short',
        };
  return new Intl.DateTimeFormat('en-CA', options).format(new Date(iso));
}

function clip(text: string, font: PDFFont, size: number, width: number): string {
  let t = winAnsi(text);
  while (t.length > 1 && font.widthOfTextAtSize(t, size) > width) t = t.slice(0, -1);
  return t;
}

export async function renderReportPdf(report: TReport, generatedAt: Date): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Switchboard report');
  pdf.setCreator('Switchboard');
  pdf.setCreationDate(generatedAt);
  pdf.setModificationDate(generatedAt);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let page = pdf.addPage([WIDTH, HEIGHT]);
  let y = HEIGHT - MARGIN;
  const text = (s: string, x: number, size: number, font: PDFFont = regular) => page.drawText(winAnsi(s), { x, y, size, font });

  text(`Report: ${report.columns.map((c) => c.label).join(', ')}`.slice(0, 140), MARGIN, 14, bold);
  y -= 18;
  text(
    `${localTime(report.from, report.timeZone, '15m')} to ${localTime(report.to, report.timeZone, '15m')} (${report.timeZone}); interval ${report.interval}${report.groupings.length ? `; by ${report.groupings.join(', ')}` : ''}; generated ${generatedAt.toISOString()}`,
    MARGIN,
    9,
  );
  y -= 14;

  // The chart: the first metric per interval (counts added across groups; other units only without groupings).
  const first = report.columns[0];
  const starts = [...new Set(report.rows.map((r) => r.start))];
  if (first && starts.length > 1 && (first.unit === 'count' || report.groupings.length === 0)) {
    const series = starts.map((s) => report.rows.filter((r) => r.start === s).reduce((sum, r) => sum + (r.values[first.metric] ?? 0), 0));
    const max = Math.max(...series, 1);
    const chartHeight = 150;
    const chartWidth = WIDTH - 2 * MARGIN;
    const bottom = y - chartHeight - 10;
    page.drawRectangle({ x: MARGIN, y: bottom, width: chartWidth, height: chartHeight, borderColor: rgb(0.6, 0.6, 0.6), borderWidth: 0.5 });
    const point = (i: number) => ({
      x: MARGIN + (i / (series.length - 1)) * chartWidth,
      y: bottom + ((series[i] ?? 0) / max) * (chartHeight - 10),
    });
    for (let i = 1; i < series.length; i++) page.drawLine({ start: point(i - 1), end: point(i), thickness: 1, color: rgb(0.1, 0.3, 0.7) });
    page.drawText(winAnsi(`${first.label}: max ${formatValue(max, first.unit)}`), { x: MARGIN + 4, y: y - 20, size: 8, font: regular });
    y = bottom - 16;
  }

  const headers = ['Interval', ...report.groupings, ...report.columns.map((c) => c.label)];
  const columnWidth = (WIDTH - 2 * MARGIN) / headers.length;
  const row = (cells: string[], font: PDFFont) => {
    if (y < MARGIN + 10) {
      page = pdf.addPage([WIDTH, HEIGHT]);
      y = HEIGHT - MARGIN;
    }
    cells.forEach((cell, i) => {
      page.drawText(clip(cell, font, 7, columnWidth - 3), { x: MARGIN + i * columnWidth, y, size: 7, font });
    });
    y -= 10;
  };
  row(headers, bold);
  for (const r of report.rows) {
    row(
      [
        report.interval === 'total' ? 'whole range' : localTime(r.start, report.timeZone, report.interval),
        ...report.groupings.map((g) => r.groups[g] ?? '(none)'),
        ...report.columns.map((c) => formatValue(r.values[c.metric], c.unit)),
      ],
      regular,
    );
  }
  if (report.rows.length === 0) row(['No records in this range.'], regular);
  return pdf.save();
}
