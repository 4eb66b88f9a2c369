import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { OfflineBanner, useRealtime } from './realtime.js';

type QueueStats = {
  queueId: string;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  serviceLevelTarget: number;
  thresholdSeconds: number;
  asaSeconds: number | null;
  abandonRate: number | null;
};
type Stats = { since: string; queues: QueueStats[] };
type Waiting = { tasks: { id: string; queueId: string; arrivedAt: string }[] };

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);

/** The supervisor's wallboard: per queue, waiting now, longest wait, service level against target (colour and words), ASA, abandonment. */
export function Wallboard() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [waiting, setWaiting] = useState<Waiting>({ tasks: [] });
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  const refresh = useCallback(async () => {
    try {
      setStats(await api<Stats>('GET', '/api/v1/queues/stats'));
      setWaiting(await api<Waiting>('GET', '/api/v1/routing/tasks?status=waiting'));
    } catch (e) {
      if (e instanceof ApiError) setError(e.message);
    }
  }, []);
  const status = useRealtime(
    (m) => {
      if (m.type === 'queues.stats' || m.type === 'routing.task') void refresh();
    },
    () => void refresh(),
  );
  useEffect(() => {
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(tick);
  }, []);

  if (!stats) return <p className="loading">Loading the wallboard…</p>;
  return (
    <div className="wallboard">
      <OfflineBanner status={status} />
      <h1>Queues today</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table>
        <caption>Since {new Date(stats.since).toLocaleString()}</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Waiting</th>
            <th scope="col">Longest wait</th>
            <th scope="col">Service level</th>
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
    </div>
  );
}
