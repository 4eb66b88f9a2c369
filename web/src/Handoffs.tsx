import type { TCaseHandoff, TCaseWelfareReferrals, TTrackedHandoff } from '@contracts/handoffs.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

/**
 * Hand-offs (issue #22 item 4): the tracking view of every open hand-off — how long it has waited and who must act
 * (the receiving organisation, or the center after a refusal, failure, decline or escalation) — and, on a case,
 * its welfare referrals with a button to send each to the organisation that receives its type.
 */

const failure = (e: unknown) =>
  e instanceof ApiError ? [e.message, ...e.issues.map((i) => i.message)].join(' — ') : 'Something went wrong.';
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const words = (s: string) => s.replace(/_/g, ' ');

/** "2 h 05 min", "3 d 4 h": a wait people read at a glance. */
export function waited(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const mustAct = (h: Pick<TCaseHandoff, 'waitingOn' | 'recipient'>) =>
  h.waitingOn === 'recipient' ? h.recipient.name : h.waitingOn === 'center' ? 'UAC unit (the center)' : 'nobody';

export function Handoffs() {
  const [rows, setRows] = useState<TTrackedHandoff[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [longestFirst, setLongestFirst] = useState(true);
  const load = useCallback(async () => {
    try {
      setRows((await api<{ handoffs: TTrackedHandoff[] }>('GET', '/api/v1/handoffs?open=true')).handoffs);
      setError(null);
    } catch (e) {
      setError(failure(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  if (!rows) return error ? <ErrorText>{error}</ErrorText> : <p className="loading">Loading hand-offs…</p>;
  const sorted = [...rows].sort((a, b) => (longestFirst ? b.waitedMinutes - a.waitedMinutes : a.waitedMinutes - b.waitedMinutes));
  return (
    <div className="handoffs">
      <h1>Hand-offs</h1>
      <p>
        Every welfare referral handed off and not yet answered, and every one the center must act on again.{' '}
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </p>
      {error && <ErrorText>{error}</ErrorText>}
      <table>
        <caption>Open hand-offs ({rows.length})</caption>
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Type</th>
            <th scope="col">Recipient</th>
            <th scope="col">Status</th>
            <th scope="col">Sent</th>
            <th scope="col">Acknowledge by</th>
            <th scope="col" aria-sort={longestFirst ? 'descending' : 'ascending'}>
              <button type="button" onClick={() => setLongestFirst(!longestFirst)}>
                Waited {longestFirst ? '(longest first)' : '(shortest first)'}
              </button>
            </th>
            <th scope="col">Who must act</th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 && (
            <tr>
              <td colSpan={8}>No open hand-offs.</td>
            </tr>
          )}
          {sorted.map((h) => (
            <tr key={h.id}>
              <th scope="row">
                <a href={`#/cases/${h.caseId}`}>{h.caseNumber}</a>
              </th>
              <td>{h.referralType.toUpperCase()}</td>
              <td>{h.recipient.name}</td>
              <td className={h.overdue || h.escalated ? 'bad' : undefined}>
                {words(h.status)}
                {h.escalated ? ' — escalated' : h.overdue ? ' — overdue' : ''}
              </td>
              <td>{when(h.sentAt)}</td>
              <td>{when(h.ackDueAt)}</td>
              <td>{waited(h.waitedMinutes)}</td>
              <td>{mustAct(h)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** On the case screen: the welfare referrals, their hand-offs, and a button to send each one not yet handed off. */
/** Sending is the server's to allow (UAC specialists and supervisors): anyone else is told why not. */
export function CaseHandoffs({ caseId }: { caseId: string }) {
  const [referrals, setReferrals] = useState<TCaseWelfareReferrals['welfareReferrals'] | null>(null);
  const [handoffs, setHandoffs] = useState<TCaseHandoff[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const [w, h] = await Promise.all([
        api<TCaseWelfareReferrals>('GET', `/api/v1/cases/${caseId}/welfare-referrals`),
        api<{ handoffs: TCaseHandoff[] }>('GET', `/api/v1/cases/${caseId}/handoffs`),
      ]);
      setReferrals(w.welfareReferrals);
      setHandoffs(h.handoffs);
    } catch (e) {
      setMessage(failure(e));
    }
  }, [caseId]);
  useEffect(() => {
    void load();
  }, [load]);
  const send = async (id: string, to: string) => {
    setMessage(null);
    try {
      await api('POST', `/api/v1/welfare-referrals/${id}/handoff`, {});
      setMessage(`Sent to ${to}.`);
    } catch (e) {
      setMessage(failure(e));
    }
    await load();
  };
  if (!referrals) return message ? <ErrorText>{message}</ErrorText> : <p className="loading">Loading welfare referrals…</p>;
  if (referrals.length === 0) return <p>No welfare referrals on this case.</p>;
  const latest = (id: string) => handoffs.filter((h) => h.welfareReferralId === id).at(-1);
  const inFlight = (h: TCaseHandoff | undefined) => h !== undefined && ['sending', 'sent', 'acknowledged', 'closed'].includes(h.status);
  return (
    <div className="case-handoffs">
      {message && (
        <p role="status" className="message">
          {message}
        </p>
      )}
      <table>
        <caption>Welfare referrals and their hand-offs</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Referral</th>
            <th scope="col">Hand-off</th>
            <th scope="col">Who must act</th>
            <th scope="col">Send</th>
          </tr>
        </thead>
        <tbody>
          {referrals.map((w) => {
            const h = latest(w.id);
            return (
              <tr key={w.id}>
                <th scope="row">{w.agency.toUpperCase()}</th>
                <td>
                  {w.status}, due {when(w.dueAt)}
                </td>
                <td>
                  {h ? (
                    <>
                      {words(h.status)} to {h.recipient.name}
                      {h.escalated && <strong> — escalated</strong>}
                      {h.acknowledgedAt && `, acknowledged ${when(h.acknowledgedAt)}`}
                      {h.outcome && `: ${h.outcome}`}
                    </>
                  ) : (
                    'not sent'
                  )}
                </td>
                <td>{h ? mustAct(h) : 'UAC unit (the center)'}</td>
                <td>
                  {w.status !== 'open' || inFlight(h) ? (
                    '—'
                  ) : w.recipient ? (
                    <button type="button" onClick={() => void send(w.id, w.recipient?.name ?? '')}>
                      Send {w.agency.toUpperCase()} referral to {w.recipient.name}
                    </button>
                  ) : (
                    'no receiving organisation configured'
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
