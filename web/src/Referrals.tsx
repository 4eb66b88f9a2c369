import type { ErrorResponse, Referral, ReferralPage } from '@contracts/views.js';
import type { PurposeCode } from '@contracts/vocabulary.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';
import { type Purpose, purposeCodeOf } from './PurposeOfUse.js';
import { ReviewQueue } from './Review.js';

/**
 * The referral inbox: for a field officer, the referrals sent to their office; acknowledge, report the outcome, close;
 * the packet as PDF — a packet about a child asks for a purpose of use first, kept in the audit with the read.
 * For a legal reviewer, the queue of what the safeguard gate held comes first.
 */

const PURPOSES: PurposeCode[] = ['location_follow_up', 'welfare_check', 'case_work', 'legal_review', 'supervision', 'other'];

/** Opens the packet PDF; if the server asks for a purpose (a child's packet), asks for one and opens it with it. */
function PacketLink({ referral }: { referral: { id: string; reference: string } }) {
  const [asking, setAsking] = useState(false);
  const [code, setCode] = useState<PurposeCode>(PURPOSES[0] ?? 'case_work');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const open = async (purpose?: Purpose) => {
    setError(null);
    const q = purpose ? `?purposeCode=${purpose.code}&purpose=${encodeURIComponent(purpose.text)}` : '';
    const response = await fetch(`/api/v1/referrals/${referral.id}/packet.pdf${q}`, { credentials: 'same-origin' });
    if (response.ok) {
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `${referral.reference}.pdf`;
      a.click();
      URL.revokeObjectURL(url);
      setAsking(false);
      return;
    }
    const body = (await response.json().catch(() => undefined)) as Partial<ErrorResponse> | undefined;
    if (body?.error?.code === 'purpose_required' && !purpose) setAsking(true);
    else setError(body?.error?.message ?? 'The packet could not be opened.');
  };
  return (
    <div className="packet">
      <button type="button" onClick={() => void open()}>
        Packet (PDF)
      </button>
      {asking && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void open({ code, text });
          }}
        >
          <p>This packet is about a child. Say why you are opening it; the reason is kept in the audit log.</p>
          <label htmlFor={`pp-code-${referral.id}`}>Purpose</label>
          <select id={`pp-code-${referral.id}`} value={code} onChange={(e) => setCode(purposeCodeOf(e.target.value))}>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {p.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          <label htmlFor={`pp-text-${referral.id}`}>In your words (at least 10 characters)</label>
          <input id={`pp-text-${referral.id}`} value={text} onChange={(e) => setText(e.target.value)} minLength={10} required />
          <button type="submit" className="primary">
            Open the packet
          </button>
        </form>
      )}
      {error && <p className="error">{error}</p>}
    </div>
  );
}

export function ReferralInbox({ review = false }: { review?: boolean }) {
  const [list, setList] = useState<Referral[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const load = useCallback(async () => {
    try {
      setList((await api<ReferralPage>('GET', '/api/v1/referrals?pageSize=100')).referrals);
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
          <PacketLink referral={r} />
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
