import type { TAdherence } from '@contracts/staffing.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';

const WORDS = { shift: 'On shift', meal: 'Meal', off: 'Off' } as const;

/**
 * Adherence on the wallboard: each agent of this week's plan, what the schedule has them doing now against their
 * routing activity. Shown to those who may plan staffing (a 403 hides it); read again every 30 seconds and when
 * an agent's activity changes.
 */
export function ScheduleAdherence({ refreshKey }: { refreshKey: unknown }) {
  const [data, setData] = useState<TAdherence | null>(null);
  const [hidden, setHidden] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setData(await api<TAdherence>('GET', '/api/v1/staffing/adherence'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) setHidden(true);
    }
  }, []);
  useEffect(() => {
    void refreshKey;
    void refresh();
    const timer = window.setInterval(() => void refresh(), 30_000);
    return () => window.clearInterval(timer);
  }, [refresh, refreshKey]);
  if (hidden || !data) return null;
  const out = data.agents.filter((a) => !a.inAdherence).length;
  return (
    <section aria-labelledby="adherence-heading">
      <h2 id="adherence-heading">Schedule adherence</h2>
      {data.planId === null ? (
        <p>No plan is saved for this week (Staffing).</p>
      ) : (
        <table>
          <caption>
            {out === 0 ? 'Everyone is in adherence.' : `${out} of ${data.agents.length} out of adherence.`} On shift means taking calls; at
            a meal or off means not.
          </caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Scheduled</th>
              <th scope="col">Actual</th>
              <th scope="col">Adherence</th>
            </tr>
          </thead>
          <tbody>
            {data.agents.map((a) => (
              <tr key={a.workerId}>
                <th scope="row">{a.displayName}</th>
                <td>{WORDS[a.scheduled]}</td>
                <td>{a.actual}</td>
                <td className={a.inAdherence ? 'good' : 'bad'}>{a.inAdherence ? 'In adherence' : 'Out of adherence'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
