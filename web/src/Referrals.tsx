import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { ReviewQueue } from './Review.js';

/**
 * The referral inbox: for a field officer, the referrals sent to their office; acknowledge, report the outcome, close;
 * the packet as PDF. For a legal reviewer, the queue of what the safeguard gate held comes first.
 */

type Referral = {
  id: string;
  reference: string;
  caseNumber: string;
  purpose: string;
  fieldOfficeCode: string;
  status: string;
  sentAt: string | null;
  outcome: string | null;
};

export function ReferralInbox({ review = false }: { review?: boolean }) {
  const [list, setList] = useState<Referral[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const load = useCallback(async () => {
    try {
      setList((await api<{ referrals: Referral[] }>('GET', '/api/v1/referrals?pageSize=100')).referrals);
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : 'Could not load referrals.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const act = async (r: Referral, action: 'acknowledge' | 'outcome' | 'close', body: Record<string, unknown> = {}) => {
    setMessage(null);
    try {
      await api('POST', `/api/v1/referrals/${r.id}/${action}`, body);
      setMessage(`${r.reference}: ${action === 'outcome' ? 'outcome reported' : `${action}d`}.`);
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
    await load();
  };
  if (!list) return <p className="loading">Loading referrals…</p>;
  return (
    <div className="referrals">
      <h1>Referrals</h1>
      {review && <ReviewQueue />}
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      {list.length === 0 && <p>No referrals.</p>}
      {list.map((r) => (
        <article key={r.id} className="panel" aria-labelledby={`ref-${r.id}`}>
          <h2 id={`ref-${r.id}`}>
            {r.reference} — case {r.caseNumber}
          </h2>
          <p>
            {r.purpose.replace(/_/g, ' ')} to {r.fieldOfficeCode}; {r.status.replace(/_/g, ' ')}
            {r.sentAt ? `, sent ${new Date(r.sentAt).toLocaleString()}` : ''}
            {r.outcome ? `; outcome ${r.outcome.replace(/_/g, ' ')}` : ''}
          </p>
          <p>
            <a href={`/api/v1/referrals/${r.id}/packet.pdf`}>Packet (PDF)</a>
          </p>
          {r.status === 'sent' && (
            <button type="button" onClick={() => void act(r, 'acknowledge')}>
              Acknowledge
            </button>
          )}
          {(r.status === 'sent' || r.status === 'acknowledged') && (
            <div className="outcome">
              <label htmlFor={`notes-${r.id}`}>Outcome notes</label>
              <textarea
                id={`notes-${r.id}`}
                rows={2}
                value={notes[r.id] ?? ''}
                onChange={(e) => setNotes({ ...notes, [r.id]: e.target.value })}
              />
              {(['located', 'not_located', 'other'] as const).map((o) => (
                <button
                  key={o}
                  type="button"
                  disabled={!notes[r.id]?.trim()}
                  onClick={() => void act(r, 'outcome', { outcome: o, notes: notes[r.id] })}
                >
                  {o.replace('_', ' ')}
                </button>
              ))}
            </div>
          )}
          {r.status === 'outcome_reported' && (
            <button type="button" onClick={() => void act(r, 'close')}>
              Close
            </button>
          )}
        </article>
      ))}
    </div>
  );
}
