import type { TReport, TReportCatalog, TReportDefinition, TReportDefinitionInput, TReportRequest } from '@contracts/reports.js';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ApiError, api, apiFile } from './api.js';
import { ErrorText } from './ErrorText.js';
import { serverNow } from './server-clock.js';

type Metric = TReportRequest['metrics'][number];
type Grouping = TReportRequest['groupings'][number];
type Interval = TReportRequest['interval'];
type Column = TReport['columns'][number];

const INTERVAL_LABEL: Record<Interval, string> = { '15m': '15 minutes', day: 'Day', total: 'Whole range' };
const GROUPING_LABEL: Record<Grouping, string> = {
  queue: 'Queue',
  line: 'Line',
  language: 'Language',
  unit: 'Unit',
  agent: 'Agent',
  disposition: 'Disposition',
  office: 'Field office',
  purpose: 'Purpose',
  agency: 'Agency',
  outcome: 'Outcome',
};
const SOURCE_LABEL: Record<string, string> = {
  arrivals: 'Calls reaching the lines',
  calls: 'Calls in queues',
  callbacks: 'Callbacks',
  voicemails: 'Voicemails',
  referrals: 'Referrals',
  screenings: 'Welfare screenings',
  welfareReferrals: 'Welfare referrals',
  partnerRequests: 'Partner requests',
  partnerSubmissions: 'Partner submissions',
};
const COLORS = ['#1f4e9e', '#c45500', '#0b6b2f', '#7a1fa2', '#a11d33', '#00707a', '#5c5c00', '#444'];

/** 'YYYY-MM-DD' of an instant in a time zone. */
const dayIn = (instant: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));

/** Minutes the zone is ahead of UTC at an instant. */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - Math.floor(instant / 60_000) * 60_000) / 60_000;
}

/** The instant a calendar day starts in a time zone (two passes: the offset can change that day). */
function startOfDay(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const guess = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  let instant = guess - offsetMinutes(guess, timeZone) * 60_000;
  instant = guess - offsetMinutes(instant, timeZone) * 60_000;
  return new Date(instant).toISOString();
}

const addDays = (day: string, n: number) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + n)).toISOString().slice(0, 10);
};
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

function formatValue(value: number | null | undefined, unit: Column['unit']): string {
  if (value === null || value === undefined) return '—';
  if (unit === 'ratio') return `${(value * 100).toFixed(1)} %`;
  if (unit === 'seconds') return `${value.toFixed(1)} s`;
  return String(Math.round(value));
}

function intervalLabel(iso: string, interval: Interval, timeZone: string): string {
  if (interval === 'total') return 'Whole range';
  const options: Intl.DateTimeFormatOptions =
    interval === 'day'
      ? { timeZone, weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }
      : { timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  return new Intl.DateTimeFormat('en-US', options).format(new Date(iso));
}

function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** The chart of one metric over the intervals, one line per group (the first eight); the table below carries every figure. */
function Chart({ report, column }: { report: TReport; column: Column }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || report.interval === 'total') return;
    const starts = [...new Set(report.rows.map((r) => r.start))].sort();
    const groupKey = (r: TReport['rows'][number]) => report.groupings.map((g) => r.groups[g] ?? '(none)').join(' · ') || column.label;
    const groups = [...new Set(report.rows.map(groupKey))].slice(0, COLORS.length);
    const index = new Map(starts.map((s, i) => [s, i]));
    const series = groups.map(() => starts.map((): number | null => null));
    for (const row of report.rows) {
      const g = groups.indexOf(groupKey(row));
      const i = index.get(row.start);
      if (g >= 0 && i !== undefined) (series[g] as (number | null)[])[i] = row.values[column.metric] ?? null;
    }
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), report.timeZone),
        scales: { x: { time: true } },
        series: [{}, ...groups.map((label, i) => ({ label, stroke: COLORS[i], width: 2, spanGaps: false }))],
        // Room for the widest label ("100.0 %", "1234.5 s"): uPlot's default width cuts them on the left.
        axes: [{}, { size: 80, values: (_u, ticks) => ticks.map((v) => formatValue(v, column.unit)) }],
      },
      [starts.map((s) => Date.parse(s) / 1000), ...series],
      el,
    );
    return () => plot.destroy();
  }, [report, column]);
  if (report.interval === 'total') return null;
  // The chart is a picture of the table below it, which screen readers read instead.
  return (
    <div
      ref={box}
      className="report-chart"
      role="img"
      aria-label={`Chart of ${column.label} by interval; the same figures are in the table below.`}
    />
  );
}

/** Historical reports for supervisors, admins and auditors: metrics × grouping × interval × days, chart, table, CSV and PDF, saved definitions. */
export function Reports() {
  const [catalog, setCatalog] = useState<TReportCatalog | null>(null);
  const [definitions, setDefinitions] = useState<TReportDefinition[]>([]);
  const [metrics, setMetrics] = useState<Metric[]>(['offered', 'answered', 'abandoned', 'serviceLevel', 'asaSeconds', 'ahtSeconds']);
  const [grouping, setGrouping] = useState<Grouping | ''>('');
  const [interval, setReportInterval] = useState<Interval>('day');
  const timeZone = catalog?.timeZone ?? 'America/Chicago';
  const today = dayIn(serverNow(), timeZone);
  const [fromDay, setFromDay] = useState(() => addDays(dayIn(serverNow(), 'America/Chicago'), -7));
  const [toDay, setToDay] = useState(() => addDays(dayIn(serverNow(), 'America/Chicago'), -1));
  const [report, setReport] = useState<TReport | null>(null);
  const [chartMetric, setChartMetric] = useState<Metric | null>(null);
  const [name, setName] = useState('');
  const [daily, setDaily] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadDefinitions = useCallback(async () => {
    setDefinitions((await api<{ definitions: TReportDefinition[] }>('GET', '/api/v1/reports/definitions')).definitions);
  }, []);
  useEffect(() => {
    api<TReportCatalog>('GET', '/api/v1/reports/catalog').then(setCatalog, (e) =>
      setError(e instanceof ApiError ? e.message : 'The report catalog could not be loaded.'),
    );
    loadDefinitions().catch(() => undefined);
  }, [loadDefinitions]);

  const bySource = useMemo(() => {
    const map = new Map<string, TReportCatalog['metrics']>();
    for (const m of catalog?.metrics ?? []) map.set(m.source, [...(map.get(m.source) ?? []), m]);
    return map;
  }, [catalog]);
  // The groupings every chosen metric's records hold.
  const groupings = useMemo(() => {
    const chosen = (catalog?.metrics ?? []).filter((m) => metrics.includes(m.metric));
    const all = Object.keys(GROUPING_LABEL) as Grouping[];
    return all.filter((g) => chosen.every((m) => m.groupings.includes(g)));
  }, [catalog, metrics]);
  useEffect(() => {
    if (grouping && !groupings.includes(grouping)) setGrouping('');
  }, [grouping, groupings]);

  const request = (): TReportRequest => ({
    metrics,
    groupings: grouping ? [grouping] : [],
    interval,
    from: startOfDay(fromDay, timeZone),
    to: startOfDay(addDays(toDay, 1), timeZone),
  });
  const act = async (work: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' ') : 'Something went wrong.');
    } finally {
      setBusy(false);
    }
  };
  const run = () =>
    act(async () => {
      const r = await api<TReport>('POST', '/api/v1/reports/metrics', request());
      setReport(r);
      setChartMetric(r.columns[0]?.metric ?? null);
    });
  const exportAs = (kind: 'csv' | 'pdf') =>
    act(async () => save(await apiFile('POST', `/api/v1/reports/metrics.${kind}`, request()), `report-${fromDay}-to-${toDay}.${kind}`));
  const saveDefinition = () =>
    act(async () => {
      const input: TReportDefinitionInput = {
        name: name.trim() || `Report of ${daysBetween(fromDay, toDay) + 1} days`,
        metrics,
        groupings: grouping ? [grouping] : [],
        interval,
        rangeDays: Math.max(1, daysBetween(fromDay, toDay) + 1),
        schedule: daily ? 'daily' : 'none',
      };
      await api('POST', '/api/v1/reports/definitions', input);
      setName('');
      await loadDefinitions();
    });
  const load = (d: TReportDefinition) => {
    setMetrics(d.metrics);
    setGrouping(d.groupings[0] ?? '');
    setReportInterval(d.interval);
    setFromDay(addDays(today, -d.rangeDays));
    setToDay(addDays(today, -1));
    setDaily(d.schedule === 'daily');
  };
  const remove = (d: TReportDefinition) =>
    act(async () => {
      await api('DELETE', `/api/v1/reports/definitions/${d.id}`);
      await loadDefinitions();
    });
  const toggle = (metric: Metric, on: boolean) =>
    setMetrics((current) => (on ? [...current, metric] : current.filter((m) => m !== metric)));
  const column = report?.columns.find((c) => c.metric === chartMetric) ?? report?.columns[0];

  return (
    <div className="reports">
      <h1>Reports</h1>
      <p className="hint">
        From the durable records (calls, callbacks, voicemails, referrals, welfare, partners), in the center’s time zone ({timeZone}).
        Definitions: docs/METRICS.md.
      </p>
      <form
        className="panel report-form"
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <details className="report-metrics-choice">
          <summary>
            Metrics: {metrics.length} chosen (
            {(catalog?.metrics ?? [])
              .filter((m) => metrics.includes(m.metric))
              .map((m) => m.label)
              .join(', ')}
            )
          </summary>
          <fieldset className="report-metrics">
            <legend className="visually-hidden">Metrics</legend>
            {[...bySource].map(([source, list]) => (
              <fieldset key={source}>
                <legend>{SOURCE_LABEL[source] ?? source}</legend>
                {list.map((m) => (
                  <div className="field checkbox" key={m.metric}>
                    <input
                      id={`metric-${m.metric}`}
                      type="checkbox"
                      checked={metrics.includes(m.metric)}
                      onChange={(e) => toggle(m.metric, e.target.checked)}
                    />
                    <label htmlFor={`metric-${m.metric}`}>{m.label}</label>
                  </div>
                ))}
              </fieldset>
            ))}
          </fieldset>
        </details>
        <div className="report-options">
          <div className="field">
            <label htmlFor="report-split-by">Split by</label>
            <select id="report-split-by" value={grouping} onChange={(e) => setGrouping(e.target.value as Grouping | '')}>
              <option value="">Nothing</option>
              {groupings.map((g) => (
                <option key={g} value={g}>
                  {GROUPING_LABEL[g]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="report-interval">Interval</label>
            <select id="report-interval" value={interval} onChange={(e) => setReportInterval(e.target.value as Interval)}>
              {(Object.keys(INTERVAL_LABEL) as Interval[]).map((i) => (
                <option key={i} value={i}>
                  {INTERVAL_LABEL[i]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="report-first-day">First day</label>
            <input id="report-first-day" type="date" value={fromDay} max={toDay} onChange={(e) => setFromDay(e.target.value)} required />
          </div>
          <div className="field">
            <label htmlFor="report-last-day">Last day</label>
            <input id="report-last-day" type="date" value={toDay} min={fromDay} onChange={(e) => setToDay(e.target.value)} required />
          </div>
          <button type="submit" className="primary" disabled={busy || metrics.length === 0}>
            Run report
          </button>
          <button type="button" onClick={() => void exportAs('csv')} disabled={busy || metrics.length === 0}>
            Download CSV
          </button>
          <button type="button" onClick={() => void exportAs('pdf')} disabled={busy || metrics.length === 0}>
            Download PDF
          </button>
        </div>
      </form>
      {error && <ErrorText>{error}</ErrorText>}

      {report && column && (
        <section className="panel" aria-labelledby="report-result-heading">
          <h2 id="report-result-heading">
            {report.rows.length} {report.rows.length === 1 ? 'row' : 'rows'}, {intervalLabel(report.from, 'day', report.timeZone)} to{' '}
            {intervalLabel(new Date(Date.parse(report.to) - 1).toISOString(), 'day', report.timeZone)}
          </h2>
          {report.interval !== 'total' && (
            <div className="field">
              <label htmlFor="report-chart">Chart</label>
              <select id="report-chart" value={column.metric} onChange={(e) => setChartMetric(e.target.value as Metric)}>
                {report.columns.map((c) => (
                  <option key={c.metric} value={c.metric}>
                    {c.label}
                  </option>
                ))}
              </select>
            </div>
          )}
          <Chart report={report} column={column} />
          <div>
            <table className="report-table">
              <caption className="visually-hidden">
                Report figures by interval{report.groupings.length ? ` and ${report.groupings.join(', ')}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Interval</th>
                  {report.groupings.map((g) => (
                    <th scope="col" key={g}>
                      {GROUPING_LABEL[g]}
                    </th>
                  ))}
                  {report.columns.map((c) => (
                    <th scope="col" key={c.metric}>
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.rows.map((row) => (
                  <tr key={`${row.start}|${JSON.stringify(row.groups)}`}>
                    <th scope="row">{intervalLabel(row.start, report.interval, report.timeZone)}</th>
                    {report.groupings.map((g) => (
                      <td key={g}>{row.groups[g] ?? '(none)'}</td>
                    ))}
                    {report.columns.map((c) => (
                      <td key={c.metric}>{formatValue(row.values[c.metric], c.unit)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {report.rows.length === 0 && <p>No records in this range.</p>}
          </div>
        </section>
      )}

      <section className="panel" aria-labelledby="report-saved-heading">
        <h2 id="report-saved-heading">Saved reports</h2>
        <div className="report-options">
          <div className="field">
            <label htmlFor="report-name">Name</label>
            <input
              id="report-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={120}
              placeholder="Queues, last week"
            />
          </div>
          <div className="field checkbox">
            <input id="report-daily" type="checkbox" checked={daily} onChange={(e) => setDaily(e.target.checked)} />
            <label htmlFor="report-daily">Write it every day (CSV to the report drop)</label>
          </div>
          <button type="button" onClick={() => void saveDefinition()} disabled={busy || metrics.length === 0}>
            Save this report
          </button>
        </div>
        {definitions.length === 0 ? (
          <p>No saved reports yet.</p>
        ) : (
          <ul className="report-definitions">
            {definitions.map((d) => (
              <li key={d.id}>
                <strong>{d.name}</strong> — {d.rangeDays} {d.rangeDays === 1 ? 'day' : 'days'} to yesterday,{' '}
                {INTERVAL_LABEL[d.interval].toLowerCase()}
                {d.schedule === 'daily' ? `, daily${d.lastDeliveredDay ? ` (last written for ${d.lastDeliveredDay})` : ''}` : ''}{' '}
                <button type="button" onClick={() => load(d)} aria-label={`Load ${d.name}`}>
                  Load
                </button>{' '}
                <button type="button" onClick={() => void remove(d)} aria-label={`Delete ${d.name}`}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
