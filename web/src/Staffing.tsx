import type { TForecast, TPlan, TPlanRequest, TScheduleEntry } from '@contracts/staffing.js';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './staffing.css';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const PER_DAY = 96;
const hhmm = (interval: number) => {
  const q = ((interval % PER_DAY) + PER_DAY) % PER_DAY;
  return `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
};
const weekLabel = (interval: number) => `${DAYS[Math.floor(interval / PER_DAY) % 7]} ${hhmm(interval)}`;

/** The agents required against the agents the plan puts on the phones, per quarter hour; the table after it has the same figures by hour. */
function CoverageChart({ plan }: { plan: TPlan }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = plan.requirement.map((_, i) => i);
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 240,
        scales: { x: { time: false } },
        series: [
          { label: 'Interval', value: (_u, v) => (v === null ? '—' : weekLabel(v)) },
          { label: 'Required', stroke: '#b3261e', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) },
          { label: 'Planned', stroke: '#1f5fa8', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) },
        ],
        axes: [
          { values: (_u, ticks) => ticks.map((v) => (v % PER_DAY === 0 ? (DAYS[v / PER_DAY] ?? '') : hhmm(v))), incrs: [24, 48, 96] },
          { label: 'Agents' },
        ],
      },
      [x, plan.requirement, plan.coverage],
      el,
    );
    return () => plot.destroy();
  }, [plan]);
  return (
    <div
      ref={box}
      className="staffing-chart"
      role="img"
      aria-label="Chart of agents required and agents planned per 15 minutes over the week; the same figures by hour are in the table below it."
    />
  );
}

/** By hour of the week: the quarter hour with the least to spare (planned − required), with both figures. */
function CoverageTable({ plan }: { plan: TPlan }) {
  const hours = Array.from({ length: 168 }, (_, h) => {
    let tightest = h * 4;
    for (let q = h * 4; q < h * 4 + 4; q++) {
      const spare = (plan.coverage[q] ?? 0) - (plan.requirement[q] ?? 0);
      if (spare < (plan.coverage[tightest] ?? 0) - (plan.requirement[tightest] ?? 0)) tightest = q;
    }
    return { h, at: tightest, required: plan.requirement[tightest] ?? 0, planned: plan.coverage[tightest] ?? 0 };
  });
  return (
    <details>
      <summary>Required and planned agents by hour (table)</summary>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to scroll it (axe scrollable-region-focusable) */}
      <section className="table-scroll" tabIndex={0} aria-label="Required and planned agents by hour">
        <table>
          <caption>Per hour, its quarter hour with the least to spare: agents required and agents the plan has on the phones</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col">Quarter hour</th>
              <th scope="col">Required</th>
              <th scope="col">Planned</th>
            </tr>
          </thead>
          <tbody>
            {hours.map((row) => (
              <tr key={row.h}>
                <th scope="row">{weekLabel(row.h * 4)}</th>
                <td>{hhmm(row.at)}</td>
                <td>{row.required}</td>
                <td>{row.planned}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </details>
  );
}

type AgentWeek = { key: string; name: string; days: string[][]; paidHours: number };

/** The schedule as one row per agent and one column per day: each shift's hours and its meal. */
function ScheduleTable({ plan }: { plan: TPlan }) {
  const zone = plan.timeZone;
  const dayOf = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short' });
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const meals = new Map<string, TScheduleEntry>();
  for (const e of plan.schedule) if (e.activity === 'meal') meals.set(`${e.shiftNo}`, e);
  const rows = new Map<string, AgentWeek>();
  for (const e of plan.schedule) {
    if (e.activity !== 'shift') continue;
    const key = e.workerId ?? 'open';
    const row = rows.get(key) ?? { key, name: e.displayName ?? 'Open shifts (nobody free)', days: DAYS.map(() => []), paidHours: 0 };
    const start = new Date(e.startsAt);
    const day = DAYS.indexOf(dayOf.format(start));
    const meal = meals.get(`${e.shiftNo}`);
    row.days[Math.max(0, day)]?.push(
      `${time.format(start)}–${time.format(new Date(e.endsAt))}${meal ? ` (meal ${time.format(new Date(meal.startsAt))})` : ''}`,
    );
    row.paidHours +=
      (Date.parse(e.endsAt) - Date.parse(e.startsAt)) / 3_600_000 -
      (meal ? (Date.parse(meal.endsAt) - Date.parse(meal.startsAt)) / 3_600_000 : 0);
    rows.set(key, row);
  }
  const ordered = [...rows.values()].sort((a, b) => (a.key === 'open' ? 1 : b.key === 'open' ? -1 : a.name.localeCompare(b.name)));
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to scroll it (axe scrollable-region-focusable)
    <section className="table-scroll schedule" tabIndex={0} aria-label="Schedule by agent">
      <table>
        <caption>
          Schedule for the week of {plan.weekStart} ({zone}); a row per agent, a shift per cell with its unpaid 30-minute meal
        </caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            {DAYS.map((d) => (
              <th scope="col" key={d}>
                {d}
              </th>
            ))}
            <th scope="col">Paid hours</th>
          </tr>
        </thead>
        <tbody>
          {ordered.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.name}</th>
              {row.days.map((cells, i) => (
                <td key={DAYS[i]}>{cells.length === 0 ? (row.key === 'open' ? '—' : 'Rest') : cells.join(', ')}</td>
              ))}
              <td>{row.paidHours.toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Staffing for supervisors and admins: the forecast, the week's shift plan against the requirement, and its schedule by agent. */
export function Staffing() {
  const [weekStart, setWeekStart] = useState('');
  const [forecast, setForecast] = useState<TForecast | null>(null);
  const [plan, setPlan] = useState<TPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ serviceLevel: '80', thresholdSeconds: '20', shrinkage: '30', patienceSeconds: '' });

  const load = useCallback(async (week?: string) => {
    setError(null);
    try {
      const f = await api<TForecast>('GET', `/api/v1/staffing/forecast${week ? `?weekStart=${week}` : ''}`);
      setForecast(f);
      setWeekStart(f.weekStart);
      try {
        setPlan(await api<TPlan>('GET', `/api/v1/staffing/schedule?weekStart=${f.weekStart}`));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) setPlan(null);
        else throw e;
      }
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The forecast could not be loaded.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const generate = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body: TPlanRequest = {
        weekStart,
        serviceLevel: Number(form.serviceLevel) / 100,
        thresholdSeconds: Number(form.thresholdSeconds),
        shrinkage: Number(form.shrinkage) / 100,
        patienceSeconds: form.patienceSeconds.trim() === '' ? null : Number(form.patienceSeconds),
      };
      setPlan(await api<TPlan>('POST', '/api/v1/staffing/plans', body));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The plan could not be made.');
    } finally {
      setBusy(false);
    }
  };

  const field = (name: keyof typeof form, label: string, hint: string) => (
    <label>
      {label}
      <input
        name={name}
        inputMode="numeric"
        value={form[name]}
        aria-describedby={`${name}-hint`}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      />
      <small id={`${name}-hint`}>{hint}</small>
    </label>
  );

  const holdout = forecast?.holdout[0];
  return (
    <div className="staffing">
      <h1>Staffing</h1>
      <form onSubmit={(e) => void generate(e)} className="staffing-form">
        <label>
          Week starting (Monday)
          <input
            type="date"
            name="weekStart"
            value={weekStart}
            onChange={(e) => {
              setWeekStart(e.target.value);
              if (e.target.value) void load(e.target.value);
            }}
          />
        </label>
        {field('serviceLevel', 'Service level target (%)', 'share answered within the threshold')}
        {field('thresholdSeconds', 'Threshold (seconds)', 'e.g. 80 % in 20 s')}
        {field('shrinkage', 'Shrinkage (%)', 'paid time off the phones')}
        {field('patienceSeconds', 'Caller patience (seconds)', 'empty: Erlang C; a number: Erlang A')}
        <button type="submit" disabled={busy || !weekStart}>
          {busy ? 'Generating the plan…' : 'Generate the plan'}
        </button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      {forecast && (
        <p>
          Forecast for the week of {forecast.weekStart}: {Math.round(forecast.calls.reduce((a, b) => a + b, 0))} calls from{' '}
          {forecast.historyWeeks} week{forecast.historyWeeks === 1 ? '' : 's'} of history
          {holdout ? `; error on the held-out week of ${holdout.week}: WAPE ${(holdout.wape * 100).toFixed(1)} %` : ''}.
        </p>
      )}
      {!plan && forecast && <p>No plan is saved for this week yet.</p>}
      {plan && (
        <section aria-labelledby="plan-heading">
          <h2 id="plan-heading">Plan for the week of {plan.weekStart}</h2>
          <dl className="staffing-summary">
            <dt>Paid agent-hours</dt>
            <dd>{plan.agentHours.toFixed(1)}</dd>
            <dt>Lower bound (LP relaxation)</dt>
            <dd>{plan.lowerBound.toFixed(1)}</dd>
            <dt>Gap</dt>
            <dd>{plan.gapPercent.toFixed(2)} %</dd>
            <dt>Solve time</dt>
            <dd>
              {(plan.solveMs / 1000).toFixed(1)} s ({plan.solverStatus})
            </dd>
            <dt>Agents scheduled</dt>
            <dd>{plan.agents}</dd>
            <dt>Open shifts</dt>
            <dd>{plan.openShifts}</dd>
            <dt>Model</dt>
            <dd>
              {plan.parameters.model === 'erlang-a' ? `Erlang A (patience ${plan.parameters.patienceSeconds} s)` : 'Erlang C'},{' '}
              {Math.round(plan.parameters.serviceLevel * 100)} % in {plan.parameters.thresholdSeconds} s, AHT{' '}
              {Math.round(plan.parameters.ahtSeconds)} s, shrinkage {Math.round(plan.parameters.shrinkage * 100)} %
            </dd>
          </dl>
          <h3>Required and planned agents</h3>
          <CoverageChart plan={plan} />
          <CoverageTable plan={plan} />
          <h3>Schedule by agent</h3>
          <ScheduleTable plan={plan} />
        </section>
      )}
    </div>
  );
}
