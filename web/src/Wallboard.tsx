import type { AgentList, QueueStatsResponse, TaskList } from '@contracts/views.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { CallbacksOwed } from './CallbacksOwed.js';
import { ErrorText } from './ErrorText.js';
import { LiveCalls } from './LiveCalls.js';
import { OfflineBanner, useRealtime } from './realtime.js';
import { ScheduleAdherence } from './ScheduleAdherence.js';
import { serverNow } from './server-clock.js';

type Stats = QueueStatsResponse;
type Agent = AgentList['agents'][number];
const ACTIVITIES = ['Available', 'Break', 'Lunch', 'Training', 'Meeting', 'Offline'];

const since = (iso: string, now: number) => {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);

/** The supervisor's wallboard: per queue, waiting now, longest wait, service level against target (colour and words), ASA, abandonment. */
export function Wallboard({ tv = false }: { tv?: boolean }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [recent, setRecent] = useState<Stats | null>(null);
  const [waiting, setWaiting] = useState<TaskList>({ tasks: [] });
  const [agents, setAgents] = useState<Agent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(serverNow);

  const refresh = useCallback(async () => {
    try {
      const today = await api<Stats>('GET', '/api/v1/queues/stats');
      // Times on the board run on the server's clock, not the browser's.
      const at = serverNow();
      setNow(at);
      setStats(today);
      setRecent(await api<Stats>('GET', `/api/v1/queues/stats?since=${encodeURIComponent(new Date(at - 30 * 60_000).toISOString())}`));
      setWaiting(await api<TaskList>('GET', '/api/v1/routing/tasks?status=waiting'));
      setAgents((await api<AgentList>('GET', '/api/v1/routing/agents')).agents);
    } catch (e) {
      if (e instanceof ApiError) setError(e.message);
    }
  }, []);
  const status = useRealtime(
    { 'queues.stats': () => void refresh(), 'routing.task': () => void refresh(), 'routing.agent': () => void refresh() },
    () => void refresh(),
  );
  useEffect(() => {
    const tick = window.setInterval(() => setNow(serverNow()), 1000);
    return () => window.clearInterval(tick);
  }, []);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
    await refresh();
  };

  if (!stats) return <p className="loading">Loading the wallboard…</p>;
  const alerts = [
    ...stats.queues
      .filter((q) => q.serviceLevel !== null && q.serviceLevel < q.serviceLevelTarget)
      .map((q) => `${q.queueId}: service level ${pct(q.serviceLevel)} is below the ${Math.round(q.serviceLevelTarget * 100)} % target`),
    ...waiting.tasks
      .map((task) => ({ task, queue: stats.queues.find((q) => q.queueId === task.queueId) }))
      .filter(({ task, queue }) => queue && now - Date.parse(task.arrivedAt) > queue.thresholdSeconds * 1000)
      .map(
        ({ task, queue }) =>
          `${task.queueId}: a ${task.channel === 'voice' ? 'call' : 'work item'} has waited ${since(task.arrivedAt, now)} (threshold ${queue?.thresholdSeconds} s)`,
      ),
  ];
  return (
    <div className={tv ? 'wallboard tv' : 'wallboard'}>
      <section aria-labelledby="alerts-heading" className="alerts">
        <h2 id="alerts-heading">Alerts</h2>
        <ul aria-live="polite">
          {alerts.length === 0 ? <li>None: every queue meets its target.</li> : alerts.map((a) => <li key={a}>{a}</li>)}
        </ul>
      </section>
      <OfflineBanner status={status} />
      <h1>Queues today</h1>
      {error && <ErrorText>{error}</ErrorText>}
      <table>
        <caption>Since {new Date(stats.since).toLocaleString()}</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Waiting</th>
            <th scope="col">Longest wait</th>
            <th scope="col">Service level today</th>
            <th scope="col">Last 30 minutes</th>
            <th scope="col">ASA</th>
            <th scope="col">Offered</th>
            <th scope="col">Answered</th>
            <th scope="col">Abandoned</th>
          </tr>
        </thead>
        <tbody>
          {stats.queues.map((q) => {
            const inQueue = waiting.tasks.filter((t) => t.queueId === q.queueId);
            const longest = inQueue.reduce((m, t) => Math.max(m, now - Date.parse(t.arrivedAt)), 0);
            const below = q.serviceLevel !== null && q.serviceLevel < q.serviceLevelTarget;
            const target = `target ${Math.round(q.serviceLevelTarget * 100)} % in ${q.thresholdSeconds} s`;
            return (
              <tr key={q.queueId}>
                <th scope="row">{q.queueId}</th>
                <td>{inQueue.length}</td>
                <td>{inQueue.length ? `${Math.round(longest / 1000)} s` : '—'}</td>
                <td className={below ? 'bad' : 'good'}>
                  {q.serviceLevel === null
                    ? `— (nothing answered yet; ${target})`
                    : `${pct(q.serviceLevel)} (${below ? 'below' : 'meets'} ${target})`}
                </td>
                <td>
                  {(() => {
                    const r = recent?.queues.find((x) => x.queueId === q.queueId);
                    if (!r || r.serviceLevel === null) return '—';
                    return `${pct(r.serviceLevel)} (${r.serviceLevel < r.serviceLevelTarget ? 'below' : 'meets'} target)`;
                  })()}
                </td>
                <td>{q.asaSeconds === null ? '—' : `${Math.round(q.asaSeconds)} s`}</td>
                <td>{q.offered}</td>
                <td>{q.answered}</td>
                <td>
                  {q.abandoned} ({pct(q.abandonRate)})
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>Agents</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Activity</th>
            <th scope="col">Time in state</th>
            <th scope="col">In hand</th>
            {!tv && <th scope="col">Change activity</th>}
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.userId}>
              <th scope="row">{a.displayName}</th>
              <td>
                <span className={a.available ? 'badge ok' : 'badge'}>{a.activity}</span>
              </td>
              <td>{since(a.activitySince, now)}</td>
              <td>{a.load.voice + a.load.work_item}</td>
              {!tv && (
                <td>
                  <label className="visually-hidden" htmlFor={`act-${a.userId}`}>
                    Activity of {a.displayName}
                  </label>
                  <select
                    id={`act-${a.userId}`}
                    value={a.activity}
                    onChange={(e) =>
                      void act(() => api('PUT', `/api/v1/routing/agents/${a.userId}/activity`, { activity: e.target.value }))
                    }
                  >
                    {[a.activity, ...ACTIVITIES.filter((x) => x !== a.activity)].map((x) => (
                      <option key={x} value={x}>
                        {x}
                      </option>
                    ))}
                  </select>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      {!tv && (
        <>
          <h2>Waiting</h2>
          {waiting.tasks.length === 0 && <p>Nothing waiting.</p>}
          <ul className="waiting">
            {waiting.tasks.map((task) => (
              <li key={task.id}>
                {task.channel === 'voice' ? 'Call' : 'Work item'} in {task.queueId}, waiting {since(task.arrivedAt, now)}{' '}
                <label className="visually-hidden" htmlFor={`move-${task.id}`}>
                  Move to queue
                </label>
                <select
                  id={`move-${task.id}`}
                  value=""
                  onChange={(e) => {
                    const queueId = e.target.value;
                    if (queueId) void act(() => api('POST', `/api/v1/routing/tasks/${task.id}/transfer`, { queueId }));
                  }}
                >
                  <option value="">Move to…</option>
                  {stats.queues
                    .filter((q) => q.queueId !== task.queueId)
                    .map((q) => (
                      <option key={q.queueId} value={q.queueId}>
                        {q.queueId}
                      </option>
                    ))}
                </select>
              </li>
            ))}
          </ul>
          <ScheduleAdherence refreshKey={agents} />
          <LiveCalls now={now} />
          <CallbacksOwed />
          <p>
            <a href="#/tv">Full-screen TV view</a>
          </p>
        </>
      )}
    </div>
  );
}
