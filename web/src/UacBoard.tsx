import type { AgeOuts, UacBoard as UacBoardView } from '@contracts/views.js';
import { useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';
import { MapView } from './MapView.js';

/** The UAC board: open UAC cases by status and screening outcome, protections, welfare referrals due, age-outs due, on a map. */

export function UacBoard() {
  const [board, setBoard] = useState<UacBoardView | null>(null);
  const [ages, setAges] = useState<AgeOuts | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<UacBoardView>('GET', '/api/v1/uac/board').then(setBoard, (e) =>
      setError(e instanceof ApiError ? e.message : 'Could not load the board.'),
    );
    api<AgeOuts>('GET', '/api/v1/uac/age-outs').then(setAges, () => setAges(null));
  }, []);
  if (error) return <ErrorText>{error}</ErrorText>;
  if (!board) return <p className="loading">Loading the UAC board…</p>;
  return (
    <div className="uac">
      <h1>UAC board</h1>
      <p>
        By status:{' '}
        {Object.entries(board.byStatus)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'no open cases'}
        . By screening:{' '}
        {Object.entries(board.byScreening)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '—'}
        . Age-outs without a custody decision: {board.ageOutsDue}.
      </p>
      <MapView
        title="Open UAC cases"
        points={board.cases.map((c) => ({
          id: c.id,
          latitude: c.latestLocation?.latitude ?? null,
          longitude: c.latestLocation?.longitude ?? null,
          label: c.caseNumber,
        }))}
      />
      <table>
        <caption>Open UAC cases</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Screening</th>
            <th scope="col">Protections</th>
            <th scope="col">Welfare referrals open (overdue)</th>
            <th scope="col">Next due</th>
          </tr>
        </thead>
        <tbody>
          {board.cases.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <a href={`#/cases/${c.id}`}>{c.caseNumber}</a>
              </th>
              <td>{c.status}</td>
              <td>{c.priority}</td>
              <td className={c.screening === 'none' ? 'bad' : undefined}>{c.screening === 'none' ? 'not screened' : c.screening}</td>
              <td>{c.activeProtections}</td>
              <td className={c.welfareReferralsOverdue > 0 ? 'bad' : undefined}>
                {c.welfareReferralsOpen} ({c.welfareReferralsOverdue})
              </td>
              <td>{c.nextWelfareDue ? new Date(c.nextWelfareDue).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {ages && (
        <>
          <h2>Turning 18 within {ages.windowDays} days</h2>
          <ul>
            {ages.persons.length === 0 && <li>Nobody.</li>}
            {ages.persons.map((p) => (
              <li key={p.personId}>
                <a href={`#/persons/${p.personId}`}>{p.name}</a>: 18 on {p.turns18On} ({p.daysLeft} days) —{' '}
                {p.decision ? `decision on file: ${p.decision.decision.replace(/_/g, ' ')}` : <strong>no custody decision yet</strong>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
